import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Page } from "playwright-core";
import { Connection } from "../../src/client-core/connection.ts";
import { createRoom, joinRoom, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openAs } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

function title(page: Page): Promise<string | null> {
  return page.locator(".room-title").textContent();
}

describe.skipIf(gate.skip)("moving between conversations in the browser client", () => {
  const web = browserSuite("switching");

  /** alice in three rooms (a…, b…, c… by name) with bob, the page open on the first. */
  async function threeRooms(viewport: { width: number; height: number }) {
    const alice = await register(web.server.url, unique("alice"));
    const bob = await register(web.server.url, unique("bob"));
    const tag = unique("");
    const names = [`a${tag}`, `b${tag}`, `c${tag}`].map((n) => n.slice(0, 32));
    const ids: number[] = [];
    for (const name of names) {
      const id = await createRoom(web.server.url, alice.token, name);
      await joinRoom(web.server.url, bob.token, id);
      ids.push(id);
    }
    const conn = new Connection({ server: web.server.url, token: bob.token });
    web.cleanups.push(() => conn.close());
    conn.start();
    await conn.attachAll((await conn.listRooms()).filter((r) => r.joined));
    const context = await web.context({ viewport });
    const opened = await openAs(context, web.server.url, alice);
    await eventually(async () =>
      expect(await opened.page.locator(".sidebar .conversation").count()).toBe(3),
    );
    return { ...opened, context, alice, conn, names, ids };
  }

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 375, height: 740 },
  ]) {
    it(`opens a quick switcher with Ctrl-K, unread first, filtered as one types, at ${viewport.width} px`, async () => {
      const { page, errors, conn, names, ids } = await threeRooms(viewport);
      conn.send(ids[2] as number, "news in c");
      await eventually(async () =>
        expect(
          await page
            .locator(`.conversation[data-room="${ids[2]}"] .badge`)
            .textContent({ timeout: 1_000 }),
        ).toBe("1"),
      );
      await page.keyboard.press("Control+k");
      const switcher = page.getByRole("dialog", { name: "Switch conversation" });
      await switcher.waitFor();
      const options = switcher.getByRole("option");
      expect((await options.allTextContents())[0]).toBe(`#${names[2]}1 unread`);
      expect(await options.count()).toBe(3);
      // The highlighted entry follows the arrows; Enter opens it.
      await page.keyboard.press("ArrowDown");
      expect(await switcher.locator("[aria-selected=true]").textContent()).toBe(`#${names[0]}`);
      await page.keyboard.press("Enter");
      await eventually(async () => expect(await title(page)).toBe(`#${names[0]}`));
      expect(await switcher.isVisible()).toBe(false);
      // Typing filters; Escape closes without moving.
      await page.keyboard.press("Control+k");
      await page
        .getByRole("combobox", { name: "Go to a room or DM" })
        .fill(`#b${names[1]?.slice(1, 6)}`);
      expect(await options.allTextContents()).toEqual([`#${names[1]}`]);
      await page.keyboard.press("Escape");
      await eventually(async () => expect(await switcher.isVisible()).toBe(false));
      expect(await title(page)).toBe(`#${names[0]}`);
      await page.keyboard.press("Control+k");
      await page
        .getByRole("combobox", { name: "Go to a room or DM" })
        .fill(names[1]?.slice(0, 5) ?? "");
      await page.keyboard.press("Enter");
      await eventually(async () => expect(await title(page)).toBe(`#${names[1]}`));
      expect(errors).toEqual([]);
    });
  }

  it("moves to the next and previous conversation with Alt-↓ and Alt-↑, and keeps drafts across switches and reloads", async () => {
    const { page, errors, context, alice, names } = await threeRooms({ width: 1440, height: 900 });
    await eventually(async () => expect(await title(page)).toBe(`#${names[0]}`));
    const box = page.locator(".composer-input");
    await box.fill("half a thought");
    await page.keyboard.press("Alt+ArrowDown");
    await eventually(async () => expect(await title(page)).toBe(`#${names[1]}`));
    expect(await box.inputValue()).toBe("");
    await box.fill("another draft");
    await page.keyboard.press("Alt+ArrowDown");
    await eventually(async () => expect(await title(page)).toBe(`#${names[2]}`));
    await page.keyboard.press("Alt+ArrowDown"); // wraps around
    await eventually(async () => expect(await title(page)).toBe(`#${names[0]}`));
    expect(await box.inputValue()).toBe("half a thought");
    await page.keyboard.press("Alt+ArrowUp");
    await eventually(async () => expect(await title(page)).toBe(`#${names[2]}`));

    await page.close();
    const again = await openAs(context, web.server.url, alice);
    await again.page.getByRole("button", { name: `Room ${names[1]}` }).click();
    await eventually(async () =>
      expect(await again.page.locator(".composer-input").inputValue()).toBe("another draft"),
    );
    // Sent, the draft is gone.
    await again.page.locator(".composer-input").press("Enter");
    await again.page.getByRole("button", { name: `Room ${names[0]}` }).click();
    await again.page.getByRole("button", { name: `Room ${names[1]}` }).click();
    expect(await again.page.locator(".composer-input").inputValue()).toBe("");
    expect([...errors, ...again.errors]).toEqual([]);
  });

  it("mutes a room: a dot instead of a count, left out of the title, kept after a reload", async () => {
    const { page, errors, context, alice, conn, names, ids } = await threeRooms({
      width: 1440,
      height: 900,
    });
    await page.getByRole("button", { name: `Room ${names[1]}` }).click();
    await page
      .getByRole("button", { name: `Notifications for #${names[1]}: Mentions only` })
      .click();
    const menu = page.getByRole("dialog", { name: `Notifications for #${names[1]}` });
    await menu.getByLabel("Muted").check();
    await menu.getByRole("button", { name: "Close" }).click();
    await page.getByRole("button", { name: `Notifications for #${names[1]}: Muted` }).waitFor();
    await page.getByRole("button", { name: `Room ${names[0]}` }).click();

    conn.send(ids[1] as number, "in the muted room");
    conn.send(ids[2] as number, "in a loud room");
    const entry = (i: number) => page.locator(`.conversation[data-room="${ids[i]}"]`);
    await entry(2).locator(".badge").waitFor();
    await entry(1).locator(".dot").waitFor();
    expect(await entry(1).locator(".badge").count()).toBe(0);
    expect(await entry(1).getAttribute("aria-label")).toBe(
      `Room ${names[1]}, unread messages, muted`,
    );
    await eventually(async () => expect(await page.title()).toBe("(1) Parley"));

    await page.close();
    const again = await openAs(context, web.server.url, alice);
    await again.page.getByRole("button", { name: `Room ${names[1]}` }).click();
    await again.page
      .getByRole("button", { name: `Notifications for #${names[1]}: Muted` })
      .waitFor();
    expect([...errors, ...again.errors]).toEqual([]);
  });
});
