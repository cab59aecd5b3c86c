import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Page } from "playwright-core";
import { Connection } from "../../src/client-core/connection.ts";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { seriousViolations } from "./axe.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  openPage,
  registerInPage,
  sendInPage,
} from "./browser.ts";
import { solidPng } from "./png.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("accessibility of the browser client (axe-core)", () => {
  const web = browserSuite("accessibility");

  async function open(
    viewport: { width: number; height: number },
    colorScheme: "light" | "dark",
  ): Promise<{ page: Page; errors: string[] }> {
    return openPage(await web.context({ viewport, colorScheme }), web.server.url);
  }

  /** A room with a message from someone else and one's own, as the page shows it. */
  async function roomWithMessages(page: Page): Promise<string> {
    const room = unique("axe");
    await createRoomInPage(page, room);
    const bob = await register(web.server.url, unique("bob"));
    const conn = new Connection({ server: web.server.url, token: bob.token });
    web.cleanups.push(() => conn.close());
    conn.start();
    const joined = await conn.join(room);
    conn.send(joined.id, `hello there, @${"someone"}`);
    await page.locator(".items .msg.other").waitFor();
    // Read out politely by the chat's live region, not by redrawing the list.
    await eventually(async () =>
      expect(await page.locator(".announcer").textContent()).toBe(
        `${bob.user.name}: hello there, @someone`,
      ),
    );
    expect(await page.getByRole("log").getAttribute("aria-live")).toBe("off");
    await sendInPage(page, "and hello back");
    await eventually(async () => expect(await page.locator(".pending-items .msg").count()).toBe(0));
    return bob.user.name;
  }

  for (const theme of ["light", "dark"] as const) {
    it(`finds nothing serious on login, room, DM and dialogs at 1440 px, ${theme} theme`, async () => {
      const { page, errors } = await open({ width: 1440, height: 900 }, theme);
      const found: string[] = [];
      await page.getByLabel("Username").waitFor();
      found.push(...(await seriousViolations(page, "login")));
      await registerInPage(page, unique("alice"));
      found.push(...(await seriousViolations(page, "welcome")));
      const bob = await roomWithMessages(page);
      await page.locator(".file-input").setInputFiles({
        name: "square.png",
        mimeType: "image/png",
        buffer: solidPng(40, 40),
      });
      await page.locator(".items .file-preview:not(.loading)").waitFor();
      found.push(...(await seriousViolations(page, "room")));

      await page.getByRole("button", { name: "View square.png" }).click();
      await page.getByRole("dialog", { name: "square.png" }).waitFor();
      found.push(...(await seriousViolations(page, "image viewer")));
      await page.keyboard.press("Escape");

      await page.getByRole("button", { name: "Create or join a room" }).click();
      await page.getByRole("dialog", { name: "Rooms" }).waitFor();
      found.push(...(await seriousViolations(page, "rooms dialog")));
      await page.keyboard.press("Escape");

      await page.getByRole("button", { name: "Message someone" }).click();
      await page.getByRole("dialog", { name: "Message someone" }).waitFor();
      found.push(...(await seriousViolations(page, "DM dialog")));
      await page.getByLabel("Username").fill(bob);
      await page.getByRole("button", { name: "Open", exact: true }).click();
      await page.getByRole("heading", { name: bob, exact: true }).waitFor();
      found.push(...(await seriousViolations(page, "DM")));

      await page.getByRole("button", { name: `Safety number with ${bob}` }).click();
      await page.getByRole("dialog", { name: `Safety number with ${bob}` }).waitFor();
      found.push(...(await seriousViolations(page, "safety dialog")));
      expect(found).toEqual([]);
      expect(errors).toEqual([]);
    });

    it(`finds nothing serious in the 375 px layout, ${theme} theme`, async () => {
      const { page, errors } = await open({ width: 375, height: 740 }, theme);
      const found: string[] = [];
      await page.getByLabel("Username").waitFor();
      found.push(...(await seriousViolations(page, "login")));
      await registerInPage(page, unique("alice"));
      await roomWithMessages(page);
      found.push(...(await seriousViolations(page, "room")));
      await page.getByRole("button", { name: "Show conversations" }).click();
      await page.getByRole("navigation", { name: "Conversations" }).waitFor();
      found.push(...(await seriousViolations(page, "sidebar")));
      await page.getByRole("button", { name: "Message someone" }).click();
      await page.getByRole("dialog", { name: "Message someone" }).waitFor();
      found.push(...(await seriousViolations(page, "DM dialog")));
      expect(found).toEqual([]);
      expect(errors).toEqual([]);
    });
  }
});
