import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Page } from "playwright-core";
import { Connection } from "../../src/client-core/connection.ts";
import { FileTransfer } from "../../src/client-core/file-transfer.ts";
import { type Account, createRoom, joinRoom, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openAs } from "./browser.ts";
import { solidPng } from "./png.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();
const VIEWPORTS = [
  { width: 1440, height: 900 },
  { width: 375, height: 740 },
];

/** Pixels between the bottom of the list's content and the bottom of its view. */
function belowView(page: Page): Promise<number> {
  return page
    .locator(".messages")
    .evaluate((el) => Math.round(el.scrollHeight - el.scrollTop - el.clientHeight));
}

/** The message at the top of the list's view, and how far (px) above the view it starts. */
function topOfView(page: Page): Promise<{ text: string; above: number }> {
  return page.locator(".messages").evaluate((list) => {
    const top = list.getBoundingClientRect().top;
    for (const row of list.querySelectorAll(".items .msg")) {
      const box = row.getBoundingClientRect();
      if (box.bottom > top) {
        return {
          text: row.querySelector(".text")?.textContent ?? "",
          above: Math.round(top - box.top),
        };
      }
    }
    return { text: "", above: 0 };
  });
}

/** Switches rooms as a user would, opening the sidebar first on a narrow screen. */
async function selectRoom(page: Page, name: string): Promise<void> {
  const menu = page.getByRole("button", { name: "Show conversations" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("button", { name: new RegExp(`^Room ${name}`) }).click();
  await page.getByRole("heading", { name: `#${name}` }).waitFor();
}

describe.skipIf(gate.skip)("the browser client's scrolling", () => {
  const web = browserSuite("scrolling");

  /** alice (in the page) and bob (a Connection) in `rooms` new rooms with `lines` messages each. */
  async function setUp(viewport: { width: number; height: number }, rooms: number, lines = 30) {
    const alice = await register(web.server.url, unique("alice"));
    const bob = await register(web.server.url, unique("bob"));
    const names: string[] = [];
    const ids: number[] = [];
    for (let i = 0; i < rooms; i++) {
      names.push(unique(`s${i}`));
      ids.push(await createRoom(web.server.url, alice.token, names[i]));
      await joinRoom(web.server.url, bob.token, ids[i] as number);
    }
    const conn = new Connection({ server: web.server.url, token: bob.token });
    web.cleanups.push(() => conn.close());
    conn.start();
    await conn.attachAll((await conn.listRooms()).filter((r) => r.joined));
    for (const id of ids) for (let i = 1; i <= lines; i++) conn.send(id, `line ${i}`);
    await eventually(async () => expect(conn.pending().length).toBe(0));
    const context = await web.context({ viewport });
    const opened = await openAs(context, web.server.url, alice);
    await eventually(async () =>
      expect(await opened.page.locator(".items .msg").count()).toBe(lines),
    );
    return { ...opened, conn, bob, names, ids };
  }

  async function shareImage(bob: Account, conn: Connection, room: number): Promise<void> {
    const transfer = new FileTransfer({ server: () => web.server.url, token: bob.token });
    const uploaded = await transfer.upload(room, new Uint8Array(solidPng(300, 600)), {
      name: "tall.png",
      type: "image/png",
    });
    conn.send(room, "", { file: uploaded.id });
  }

  for (const viewport of VIEWPORTS) {
    it(`keeps the newest message in view when an image above it loads, at ${viewport.width} px`, async () => {
      const { page, errors, conn, bob, ids } = await setUp(viewport, 1);
      // The app opened at the first unread message; the reader goes down to the newest.
      await page.locator(".jump").click();
      await eventually(async () => expect(await belowView(page)).toBeLessThan(2));
      await shareImage(bob, conn, ids[0] as number);
      await page.locator(".file-preview:not(.loading) img").waitFor();
      await eventually(async () =>
        expect(
          await page.locator(".file-image").evaluate((img) => (img as HTMLImageElement).complete),
        ).toBe(true),
      );
      await Bun.sleep(300);
      expect(await belowView(page)).toBeLessThan(2);
      expect(await page.locator(".jump").isVisible()).toBe(false);
      expect(errors).toEqual([]);
    });

    it(`counts new messages on a jump button while scrolled up, and jumps to them, at ${viewport.width} px`, async () => {
      const { page, errors, conn, ids } = await setUp(viewport, 1);
      await page.locator(".messages").evaluate((el) => {
        el.scrollTop = 0;
      });
      const jump = page.locator(".jump");
      await jump.waitFor();
      expect(await jump.textContent()).toBe("↓ Jump to latest");
      conn.send(ids[0] as number, "new one");
      conn.send(ids[0] as number, "new two");
      await eventually(async () => expect(await jump.textContent()).toBe("↓ 2 new messages"));
      expect(await page.locator(".messages").evaluate((el) => el.scrollTop)).toBe(0);
      await jump.click();
      await eventually(async () => expect(await belowView(page)).toBeLessThan(2));
      expect(await jump.isVisible()).toBe(false);
      expect(errors).toEqual([]);
    });

    it(`marks where the unread messages start and keeps each room's scroll position, at ${viewport.width} px`, async () => {
      const { page, errors, conn, names, ids } = await setUp(viewport, 2, 40);
      await selectRoom(page, names[1] as string);
      await eventually(async () => expect(await page.locator(".items .msg").count()).toBe(40));
      await page.locator(".messages").evaluate((el) => {
        el.scrollTop = 300;
      });
      await eventually(async () => expect(await page.locator(".jump").isVisible()).toBe(true));
      const before = await topOfView(page);
      await selectRoom(page, names[0] as string);
      await selectRoom(page, names[1] as string);
      expect(await topOfView(page)).toEqual(before);

      await selectRoom(page, names[0] as string);
      await selectRoom(page, names[1] as string);
      for (const text of ["unread 1", "unread 2", "unread 3"]) conn.send(ids[0] as number, text);
      const badge = page.locator(`.conversation[data-room="${ids[0]}"] .badge`);
      await eventually(async () => expect(await badge.textContent({ timeout: 1_000 })).toBe("3"));
      await selectRoom(page, names[0] as string);
      const divider = page.locator(".new-divider");
      await divider.waitFor();
      const after = await divider.evaluate(
        (el) => el.nextElementSibling?.querySelector(".text")?.textContent,
      );
      expect(after).toBe("unread 1");
      expect(await page.locator(".new-divider ~ .msg").count()).toBe(3);
      const box = await divider.boundingBox();
      const list = await page.locator(".messages").boundingBox();
      if (!box || !list) throw new Error("the divider is not on screen");
      expect(box.y).toBeGreaterThanOrEqual(list.y - 1);
      expect(box.y + box.height).toBeLessThanOrEqual(list.y + list.height);
      expect(errors).toEqual([]);
    });
  }
  it("opens the app at the first unread message of the room it shows, under a New divider", async () => {
    const { page, errors } = await setUp({ width: 1440, height: 900 }, 1, 40);
    const divider = page.locator(".new-divider");
    await divider.waitFor();
    expect(
      await divider.evaluate((el) => el.nextElementSibling?.querySelector(".text")?.textContent),
    ).toBe("line 1");
    const box = await divider.boundingBox();
    const list = await page.locator(".messages").boundingBox();
    if (!box || !list) throw new Error("the divider is not on screen");
    expect(box.y).toBeGreaterThanOrEqual(list.y - 1);
    expect(box.y + box.height).toBeLessThanOrEqual(list.y + list.height);
    expect(errors).toEqual([]);
  });
});
