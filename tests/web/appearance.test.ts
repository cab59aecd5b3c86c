/**
 * The Appearance panel in Chromium: each setting switched from the panel (opened from the
 * keyboard) and its effect measured in computed styles; the 375 px layout at the largest text
 * size; persistence across a reload, in a second browser context of the same user and offline;
 * export and import of a theme; axe-core in every built-in theme and AAA contrast for the
 * high-contrast theme's text, computed from the colours on screen.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { Connection } from "../../src/client-core/connection.ts";
import { api, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { seriousViolations } from "./axe.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  openAs,
  sendInPage,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

type Account = Awaited<ReturnType<typeof register>>;

describe.skipIf(gate.skip)("appearance settings in the browser", () => {
  const web = browserSuite("appearance");

  function context(
    width = 1280,
    options: { reducedMotion?: "reduce" | "no-preference"; colorScheme?: "light" | "dark" } = {},
  ): Promise<BrowserContext> {
    return web.context({
      viewport: { width, height: 800 },
      acceptDownloads: true,
      colorScheme: options.colorScheme ?? "light",
      reducedMotion: options.reducedMotion ?? "no-preference",
    });
  }

  /** Logged in as `account` in a room with a message from someone else and one's own. */
  async function inRoom(c: BrowserContext, account: Account): Promise<Page> {
    const { page } = await openAs(c, web.server.url, account);
    const room = unique("look");
    await createRoomInPage(page, room);
    const bob = await register(web.server.url, unique("bob"));
    const conn = new Connection({ server: web.server.url, token: bob.token });
    web.cleanups.push(() => conn.close());
    conn.start();
    const joined = await conn.join(room);
    conn.send(joined.id, "hello from bob");
    await page.locator(".items .msg.other").waitFor();
    await sendInPage(page, "and hello back");
    await eventually(async () => expect(await page.locator(".pending-items .msg").count()).toBe(0));
    return page;
  }

  /** Opens the panel with Ctrl-, and picks a choice in it, by its visible label. */
  async function choose(page: Page, group: string, label: string): Promise<void> {
    const panel = page.getByRole("dialog", { name: "Appearance" });
    if (!(await panel.isVisible())) {
      await page.keyboard.press("Control+,");
      await panel.waitFor();
    }
    await panel.getByRole("group", { name: group }).getByLabel(label, { exact: true }).check();
  }

  const rootData = (page: Page, key: string) =>
    page.evaluate((k) => document.documentElement.dataset[k] ?? "", key);
  const style = (page: Page, selector: string, property: string) =>
    page
      .locator(selector)
      .first()
      .evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);

  it("applies each setting the moment it is chosen", async () => {
    const page = await inRoom(await context(), await register(web.server.url, unique("alice")));

    await choose(page, "Theme", "Dark");
    expect(await rootData(page, "theme")).toBe("dark");
    expect(await style(page, "body", "background-color")).toBe("rgb(15, 17, 21)");
    await choose(page, "Theme", "High contrast");
    expect(await style(page, "body", "background-color")).toBe("rgb(0, 0, 0)");
    expect(await style(page, "body", "color")).toBe("rgb(255, 255, 255)");
    await choose(page, "Theme", "Light");
    expect(await style(page, "body", "background-color")).toBe("rgb(244, 245, 248)");

    await page.getByLabel("Colour", { exact: true }).fill("#0b7a75");
    expect(await style(page, ".msg.own .bubble", "background-color")).toBe("rgb(11, 122, 117)");
    expect(await style(page, ".msg.own .bubble", "color")).toBe("rgb(255, 255, 255)");
    // A light accent gets dark text on it, and the page still passes axe-core's contrast check.
    await page.getByLabel("Colour", { exact: true }).fill("#ffd60a");
    expect(await style(page, ".msg.own .bubble", "color")).toBe("rgb(0, 0, 0)");
    expect(await seriousViolations(page, "yellow accent")).toEqual([]);
    await page.getByRole("button", { name: "Theme's own" }).click();
    expect(await style(page, ".msg.own .bubble", "background-color")).toBe("rgb(79, 70, 229)");

    const sizes: Record<string, string> = {
      Small: "13.125px",
      Medium: "15px",
      Large: "16.875px",
      Larger: "18.75px",
      Largest: "22.5px",
    };
    for (const [label, px] of Object.entries(sizes)) {
      await choose(page, "Text size", label);
      expect(await style(page, "body", "font-size")).toBe(px);
    }
    // The whole layout follows, not only the body: the sender's name and the times too.
    expect(await style(page, ".meta", "font-size")).toBe("16.5px");
    await choose(page, "Text size", "Medium");

    const bubbleHeight = () =>
      page
        .locator(".msg.other .bubble")
        .first()
        .evaluate((el) => el.getBoundingClientRect().height);
    const comfortable = await bubbleHeight();
    expect(await style(page, ".msg .bubble", "padding-top")).toBe("8px");
    await choose(page, "Density", "Compact");
    expect(await style(page, ".msg .bubble", "padding-top")).toBe("1px");
    expect(await bubbleHeight()).toBeLessThan(comfortable);
    await choose(page, "Density", "Comfortable");

    const time = () => page.locator(".msg time").first().textContent();
    await choose(page, "Clock", "24-hour");
    expect(await time()).toMatch(/^\d{1,2}:\d{2}$/);
    await choose(page, "Clock", "12-hour");
    expect(await time()).toMatch(/^\d{1,2}:\d{2}\s?[AP]M$/);

    expect(await rootData(page, "motion")).toBe("full");
    await choose(page, "Motion", "Reduce");
    expect(await rootData(page, "motion")).toBe("reduce");
    expect(await style(page, ".sidebar", "transition-duration")).toBe("0s");
  });

  it("reduces motion by default when the system asks for it", async () => {
    const c = await context(375, { reducedMotion: "reduce" });
    const { page } = await openAs(
      c,
      web.server.url,
      await register(web.server.url, unique("still")),
    );
    expect(await rootData(page, "motion")).toBe("reduce");
    expect(await style(page, ".sidebar", "transition-duration")).toBe("0s");
  });

  it("lays out at 375 px with the largest text size and no horizontal scroll", async () => {
    const page = await inRoom(await context(375), await register(web.server.url, unique("big")));
    await choose(page, "Text size", "Largest");
    const overflow = () =>
      page.evaluate(() => {
        const d = document.documentElement;
        return d.scrollWidth - d.clientWidth;
      });
    expect(await overflow()).toBe(0);
    const panelBox = await page.getByRole("dialog", { name: "Appearance" }).boundingBox();
    expect((panelBox?.x ?? -1) >= 0 && (panelBox?.x ?? 0) + (panelBox?.width ?? 999) <= 375).toBe(
      true,
    );
    await page.keyboard.press("Escape");
    expect(await overflow()).toBe(0);
    expect(await style(page, ".composer-input", "font-size")).not.toBe("");
    await page.getByRole("button", { name: "Show conversations" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor();
    expect(await overflow()).toBe(0);
    // Every control in the sidebar's top row stays on screen.
    const outside = await page
      .locator(".me > *")
      .evaluateAll((els) =>
        els.filter((el) => el.getBoundingClientRect().right > 375).map((el) => el.className),
      );
    expect(outside).toEqual([]);
  });

  it("keeps the settings across a reload and in a second browser of the same user", async () => {
    const alice = await register(web.server.url, unique("alice"));
    const { page } = await openAs(await context(), web.server.url, alice);
    await choose(page, "Theme", "High contrast");
    await choose(page, "Text size", "Larger");
    await choose(page, "Density", "Compact");
    await eventually(async () => {
      const saved = await api<{ settings: { theme: string; density: string } }>(
        web.server.url,
        "GET",
        "/api/settings",
        undefined,
        alice.token,
      );
      expect(saved.body.settings).toMatchObject({ theme: "high-contrast", density: "compact" });
    });
    await page.reload();
    await page.getByRole("main", { name: "Conversation" }).waitFor();
    expect(await rootData(page, "theme")).toBe("high-contrast");
    expect(await rootData(page, "textSize")).toBe("larger");

    // Another browser: a fresh profile, a new login of the same user.
    const login = await api<{ token: string }>(web.server.url, "POST", "/api/login", {
      username: alice.user.name,
      password: "correct horse",
    });
    const other = await openAs(await context(), web.server.url, {
      ...alice,
      token: login.body.token,
    });
    await eventually(async () => {
      expect(await rootData(other.page, "theme")).toBe("high-contrast");
      expect(await rootData(other.page, "textSize")).toBe("larger");
      expect(await rootData(other.page, "density")).toBe("compact");
    });
  });

  it("keeps a change made while the server is unreachable and saves it once it answers", async () => {
    const alice = await register(web.server.url, unique("away"));
    const c = await context();
    const { page } = await openAs(c, web.server.url, alice);
    await c.route("**/api/settings", (route) => route.abort("internetdisconnected"));
    await choose(page, "Theme", "Dark");
    await page.reload();
    await page.getByRole("main", { name: "Conversation" }).waitFor();
    expect(await rootData(page, "theme")).toBe("dark");
    const saved = () =>
      api<{ settings: { theme: string } }>(
        web.server.url,
        "GET",
        "/api/settings",
        undefined,
        alice.token,
      );
    expect((await saved()).body.settings.theme).toBe("system");
    await c.unroute("**/api/settings");
    await page.reload();
    await eventually(async () => expect((await saved()).body.settings.theme).toBe("dark"));
    expect(await rootData(page, "theme")).toBe("dark");
  });

  it("exports the theme as JSON and imports one, refusing a file that is not a theme", async () => {
    const c = await context();
    const { page } = await openAs(c, web.server.url, await register(web.server.url, unique("pal")));
    await choose(page, "Theme", "Dark");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export theme" }).click(),
    ]);
    const exported = JSON.parse(readFileSync((await download.path()) as string, "utf8"));
    expect(exported).toMatchObject({
      parley: "theme",
      version: 1,
      base: "dark",
      tokens: { bg: "#0f1115", text: "#e6e8ee" },
    });

    const mine = { ...exported, name: "Deep sea", tokens: { ...exported.tokens, bg: "#102030" } };
    await page.locator("#theme-file").setInputFiles({
      name: "deep-sea.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(mine)),
    });
    await eventually(async () =>
      expect(await style(page, "body", "background-color")).toBe("rgb(16, 32, 48)"),
    );
    const panel = page.getByRole("dialog", { name: "Appearance" });
    expect(await panel.getByLabel("Imported", { exact: true }).isChecked()).toBe(true);

    await page.locator("#theme-file").setInputFiles({
      name: "evil.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify({ ...mine, tokens: { bg: "url(https://evil)" } })),
    });
    await eventually(async () =>
      expect(await panel.getByRole("alert").textContent()).toContain("not a Parley theme file"),
    );
    expect(await style(page, "body", "background-color")).toBe("rgb(16, 32, 48)");
  });

  for (const theme of ["Light", "Dark", "High contrast"] as const) {
    it(`finds nothing serious with axe-core in the ${theme} theme, panel open and closed`, async () => {
      const page = await inRoom(await context(), await register(web.server.url, unique("axe")));
      await choose(page, "Theme", theme);
      const found = await seriousViolations(page, `${theme} panel`);
      await page.keyboard.press("Escape");
      found.push(...(await seriousViolations(page, `${theme} room`)));
      expect(found).toEqual([]);
    });
  }

  it("gives every text in the high-contrast theme at least 7:1 contrast (AAA)", async () => {
    const page = await inRoom(await context(), await register(web.server.url, unique("aaa")));
    // The measure bites: the light theme's secondary text is AA (4.5:1), not AAA.
    await choose(page, "Theme", "Light");
    expect((await page.evaluate(lowestTextContrast)).ratio).toBeLessThan(7);
    await choose(page, "Theme", "High contrast");
    for (const where of ["panel", "room"]) {
      const worst = await page.evaluate(lowestTextContrast);
      expect({ where, ...worst, aaa: worst.ratio >= 7 }).toMatchObject({ where, aaa: true });
      await page.keyboard.press("Escape");
    }
  });
});

/**
 * Runs in the page: the lowest contrast ratio between a visible text's colour and the
 * background behind it (the first opaque background among its ancestors), and where.
 */
function lowestTextContrast(): { ratio: number; text: string; colour: string; bg: string } {
  const parse = (c: string): [number, number, number, number] => {
    const m = c.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
    return [m[0] ?? 0, m[1] ?? 0, m[2] ?? 0, m[3] ?? 1];
  };
  const lum = ([r, g, b]: number[]) => {
    const ch = (v: number) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * ch(r ?? 0) + 0.7152 * ch(g ?? 0) + 0.0722 * ch(b ?? 0);
  };
  const background = (el: Element | null): string => {
    for (let e = el; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (parse(bg)[3] > 0.99) return bg;
    }
    return "rgb(255, 255, 255)";
  };
  let worst = { ratio: 99, text: "", colour: "", bg: "" };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const text = n.textContent?.trim() ?? "";
    if (!el || !text) continue;
    const box = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || cs.visibility === "hidden") continue;
    if (el.closest(".visually-hidden, [hidden], dialog:not([open])")) continue;
    const colour = cs.color;
    const bg = background(el);
    const a = lum(parse(colour));
    const b = lum(parse(bg));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, text: text.slice(0, 40), colour, bg };
  }
  return worst;
}
