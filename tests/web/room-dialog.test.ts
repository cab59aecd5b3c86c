/**
 * The rooms dialog with more public rooms than one page of the room list: it shows more on
 * request (the answer's `next`), and finds a room by its name, at desktop and phone widths.
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { createRoom, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openAs, shotDir } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();
/** More than the room list's page of 100. */
const ROOMS = 120;
const nameOf = (i: number) => `room${String(i).padStart(3, "0")}`;

describe.skipIf(gate.skip)("the rooms dialog with many rooms", () => {
  const web = browserSuite("room-dialog", ["--max-rooms-per-user", String(ROOMS)]);

  beforeAll(async () => {
    const owner = await register(web.server.url, unique("owner"));
    for (let i = 0; i < ROOMS; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          createRoom(web.server.url, owner.token, nameOf(i + k)),
        ),
      );
    }
  });

  async function openDialog(viewport: { width: number; height: number }): Promise<Page> {
    const viewer = await register(web.server.url, unique("viewer"));
    const context = await web.context({ viewport });
    const { page } = await openAs(context, web.server.url, viewer);
    const menu = page.getByRole("button", { name: "Show conversations" });
    if (await menu.isVisible()) await menu.click();
    await page.getByRole("button", { name: "Create or join a room" }).click();
    await page.getByRole("button", { name: `Join #${nameOf(0)} ` }).waitFor();
    return page;
  }

  const dialog = (page: Page) => page.getByRole("dialog", { name: "Rooms" });
  const joinable = (page: Page) => dialog(page).locator(".joinable-room");

  async function fitsWidth(page: Page, width: number): Promise<void> {
    const box = await dialog(page).boundingBox();
    if (!box) throw new Error("the dialog is not on screen");
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(width);
  }

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 375, height: 740 },
  ]) {
    it(`shows more rooms on request and finds one by name at ${viewport.width} px`, async () => {
      const page = await openDialog(viewport);
      expect(await joinable(page).count()).toBe(100);
      await fitsWidth(page, viewport.width);
      const more = page.getByRole("button", { name: "Show more rooms" });
      await page.screenshot({ path: join(shotDir(), `room-dialog-page-${viewport.width}.png`) });
      await more.click();
      await page.getByRole("button", { name: `Join #${nameOf(ROOMS - 1)} ` }).waitFor();
      expect(await joinable(page).count()).toBe(ROOMS);
      await eventually(async () => expect(await more.isVisible()).toBe(false));
      await page.screenshot({ path: join(shotDir(), `room-dialog-more-${viewport.width}.png`) });

      const find = page.getByRole("searchbox", { name: "Find a room by name" });
      await find.fill("nosuchroom");
      await find.press("Enter");
      await page.getByText("No room named #nosuchroom to join.").waitFor();
      expect(await joinable(page).count()).toBe(0);
      await find.fill(`#${nameOf(117)}`);
      await find.press("Enter");
      await eventually(async () => expect(await joinable(page).count()).toBe(1));
      await fitsWidth(page, viewport.width);
      await page.screenshot({ path: join(shotDir(), `room-dialog-find-${viewport.width}.png`) });
      await page.getByRole("button", { name: `Join #${nameOf(117)} ` }).click();
      await page.getByRole("heading", { name: `#${nameOf(117)}` }).waitFor();
    });
  }
});
