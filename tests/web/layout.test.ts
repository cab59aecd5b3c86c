import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { createRoom, register } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  openPage,
  registerInPage,
  sendInPage,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();
const VIEWPORTS = [
  { width: 1440, height: 900 },
  { width: 375, height: 740 },
];

let serial = 0;
/** A name of exactly 32 characters (the longest allowed), unique per call. */
function longName(prefix: string): string {
  serial++;
  return `${prefix}${process.pid % 1000}_${serial}_`.padEnd(32, "w").slice(0, 32);
}

/** Fails unless `el` is wholly inside the viewport and its text is not cut (no overflow). */
async function fullyShown(page: Page, el: Locator): Promise<void> {
  const box = await el.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  if (!box) throw new Error("not on screen");
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(width);
}

function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
}

describe.skipIf(gate.skip)("the browser client's layout", () => {
  const web = browserSuite("layout");

  function context(viewport: { width: number; height: number }): Promise<BrowserContext> {
    return web.context({ viewport });
  }

  for (const viewport of VIEWPORTS) {
    it(`fits 32-character names without widening the page or cutting controls, at ${viewport.width} px`, async () => {
      const { page, errors } = await openPage(await context(viewport), web.server.url);
      const me = longName("u");
      await registerInPage(page, me);
      // The welcome line wraps instead of being cut on both sides.
      const welcome = page.getByRole("heading", { name: `Welcome, ${me}` });
      await fullyShown(page, welcome);
      expect(await welcome.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
      expect(await pageOverflow(page)).toBe(0);

      const room = longName("r");
      await createRoomInPage(page, room);
      expect(await pageOverflow(page)).toBe(0);
      const title = page.getByRole("heading", { name: `#${room}` });
      await fullyShown(page, title);
      await fullyShown(page, page.locator(".composer-input"));
      await fullyShown(page, page.getByRole("button", { name: "Send" }));
      // The placeholder fits on its one line.
      expect(
        await page
          .locator(".composer-input")
          .evaluate((el) => el.scrollHeight <= el.clientHeight + 1),
      ).toBe(true);
      await sendInPage(page, "a message");
      await page.locator(".items .msg").first().waitFor();
      expect(await pageOverflow(page)).toBe(0);

      // The DM dialog's button stays on screen with a long name typed.
      const menu = page.getByRole("button", { name: "Show conversations" });
      if (await menu.isVisible()) await menu.click();
      await page.getByRole("button", { name: "Message someone" }).click();
      await page.getByLabel("Username").fill(longName("p"));
      await fullyShown(page, page.getByRole("button", { name: "Open", exact: true }));
      expect(errors).toEqual([]);
    });
  }

  for (const viewport of VIEWPORTS) {
    it(`shows the focus ring of the first joinable room whole, inside its list, at ${viewport.width} px`, async () => {
      const other = await register(web.server.url, longName("o"));
      await createRoom(web.server.url, other.token, longName("j"));
      const { page } = await openPage(await context(viewport), web.server.url);
      await registerInPage(page, longName("f"));
      const menu = page.getByRole("button", { name: "Show conversations" });
      if (await menu.isVisible()) await menu.click();
      await page.getByRole("button", { name: "Create or join a room" }).click();
      const first = page.locator(".joinable-room").first();
      await first.waitFor();
      await first.focus();
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      const [button, list] = await Promise.all([
        first.boundingBox(),
        page.locator(".joinable").boundingBox(),
      ]);
      if (!button || !list) throw new Error("not on screen");
      // The ring is 2 px wide, 2 px out: 4 px around the button must be inside the list's box.
      expect(button.x - 4).toBeGreaterThanOrEqual(list.x);
      expect(button.y - 4).toBeGreaterThanOrEqual(list.y);
      expect(button.x + button.width + 4).toBeLessThanOrEqual(list.x + list.width);
    });
  }

  it("clears a stale refusal under the register form as soon as the user edits it", async () => {
    const taken = longName("t");
    await register(web.server.url, taken);
    const { page } = await openPage(await context({ width: 375, height: 740 }), web.server.url);
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByLabel("Username").fill(taken);
    await page.getByLabel("Password").fill("correct horse");
    await page.getByRole("button", { name: "Create account" }).click();
    const error = page.locator(".login .form-error");
    await eventually(async () => expect(await error.textContent()).not.toBe(""));
    await page.getByLabel("Username").fill(`${taken.slice(0, 30)}x`);
    expect(await error.textContent()).toBe("");
    // Refused again, then a too-short password: the browser's own tooltip speaks alone.
    await page.getByLabel("Username").fill(taken);
    await page.getByRole("button", { name: "Create account" }).click();
    await eventually(async () => expect(await error.textContent()).not.toBe(""));
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    expect(await error.textContent()).toBe("");
  });

  it("shows times without a leading zero, refuses a paste over the limit instead of cutting it, and folds very long messages", async () => {
    // A time zone where the hour on the clock is now a single digit (1 to 9, AM or PM).
    const utc = new Date().getUTCHours();
    const shift = [...Array(24).keys()]
      .map((k) => k - 11)
      .find((k) => {
        const h12 = (((utc + k) % 24) + 24) % 12;
        return h12 >= 1 && h12 <= 9;
      }) as number;
    const timezoneId =
      shift === 0 ? "Etc/GMT" : `Etc/GMT${shift > 0 ? "-" : "+"}${Math.abs(shift)}`;
    const c = await web.context({
      viewport: { width: 1440, height: 900 },
      timezoneId,
      locale: "en-US",
    });
    const { page, errors } = await openPage(c, web.server.url);
    await registerInPage(page, longName("m"));
    await createRoomInPage(page, longName("m"));
    const box = page.locator(".composer-input");
    const long = "x".repeat(4_100);
    await box.fill(long);
    expect(await box.inputValue()).toBe(long);
    await page.getByText("4,100 / 4,000 characters").waitFor();
    expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await box.press("Enter");
    expect(await page.locator(".pending-items .msg").count()).toBe(0);

    // A long message that fits the limit is folded, with a way to read it all.
    const text = Array.from({ length: 60 }, (_, i) => `line ${i + 1}`).join("\n");
    await box.fill(text);
    await box.press("Enter");
    const row = page.locator(".items:not(.pending-items) .msg").last();
    await row.waitFor();
    const bubble = row.locator(".text");
    expect(await bubble.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await row.getByRole("button", { name: "Show more" }).click();
    expect(await bubble.evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
    await row.getByRole("button", { name: "Show less" }).waitFor();

    const time = await row.locator("time").textContent();
    expect(time).toMatch(/^[1-9]:\d\d [AP]M$/);
    expect(errors).toEqual([]);
  });
});
