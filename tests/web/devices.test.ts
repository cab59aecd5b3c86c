/**
 * The browser's Devices dialog, used as a person would: a second browser of the same account is
 * linked by typing the code it shows, a wrong code is refused, a device is removed; a key backup
 * made in one browser is restored in a fresh one, which then reads an earlier DM.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { seriousViolations } from "./axe.ts";
import {
  browserSuite,
  chromiumGate,
  eventually,
  openAs,
  sendInPage,
  shownMessages,
} from "./browser.ts";
import { browserUserWritingTo, terminalPeer } from "./dm-peer.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

/** Opens Devices from the sidebar by keyboard (focus the button, Enter). */
async function openDevices(page: Page): Promise<Locator> {
  const menu = page.getByRole("button", { name: "Show conversations" });
  if (await menu.isVisible()) await menu.click();
  const button = page.getByRole("button", { name: "Devices", exact: true });
  await button.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Devices" });
  await dialog.waitFor();
  return dialog;
}

/** Waits for the dialog to say this browser's state, reopening it until it does. */
async function stateShown(page: Page, state: RegExp): Promise<Locator> {
  let dialog = await openDevices(page);
  // Until this browser's keys are set up the dialog says so: look again until it shows the state.
  const shown = async () => (await dialog.locator(".devices-body").textContent()) ?? "";
  await eventually(async () => {
    if (!state.test(await shown())) {
      await Bun.sleep(200);
      await dialog.getByRole("button", { name: "Close" }).click();
      dialog = await openDevices(page);
    }
    expect(await shown()).toMatch(state);
  });
  return dialog;
}

describe.skipIf(gate.skip)("the Devices dialog in the browser client", () => {
  const web = browserSuite("devices");

  function context(): Promise<BrowserContext> {
    return web.context({ viewport: { width: 1440, height: 900 } });
  }

  it("links a second browser of the same account by its code, refuses a wrong code, and removes it", async () => {
    const account = await register(web.server.url, unique("alice"));
    const first = await openAs(await context(), web.server.url, account);
    await stateShown(first.page, /holds the account key/);
    await first.page.keyboard.press("Escape");

    const second = await openAs(await context(), web.server.url, account);
    const secondDialog = await stateShown(second.page, /not linked/);
    const code = (await secondDialog.getByLabel("This browser's link code").textContent()) ?? "";
    expect(code.replace(/\D/g, "")).toHaveLength(12);
    const device = /This browser: (\S+) /.exec(
      (await secondDialog.locator(".this-device").textContent()) ?? "",
    )?.[1];
    expect(device).toBeDefined();

    const dialog = await openDevices(first.page);
    const box = dialog.getByLabel(`Code shown on ${device}`);
    await box.waitFor();
    expect(await seriousViolations(first.page, "devices dialog")).toEqual([]);
    const wrong = code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    await box.fill(wrong);
    await box.press("Enter");
    await dialog
      .getByRole("alert")
      .filter({ hasText: `That is not ${device}'s code` })
      .waitFor();

    await dialog.getByLabel(`Code shown on ${device}`).fill(code);
    await dialog.getByLabel(`Code shown on ${device}`).press("Enter");
    await dialog
      .getByRole("status")
      .filter({ hasText: `Linked ${device}` })
      .waitFor();
    await dialog.getByRole("button", { name: `Remove device ${device}` }).waitFor();

    await second.page.keyboard.press("Escape");
    await stateShown(second.page, /\(linked\)/);

    await dialog.getByRole("button", { name: `Remove device ${device}` }).click();
    await dialog
      .getByRole("status")
      .filter({ hasText: `Removed ${device}` })
      .waitFor();
    // It is no longer signed; the server still lists it, as a device waiting to be linked.
    const signed = dialog.getByRole("list", { name: "Devices your account signed" });
    const waiting = dialog.getByRole("list", { name: "Waiting to be linked" });
    await eventually(async () => {
      expect(await signed.locator(`[data-device="${device}"]`).count()).toBe(0);
      expect(await waiting.locator(`[data-device="${device}"]`).count()).toBe(1);
    });
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  it("keeps one device and its account key when two tabs of a new account start at once", async () => {
    const account = await register(web.server.url, unique("alice"));
    const shared = await context();
    // Both tabs make this browser's keys at the same moment: one identity, one account key.
    const [one, two] = await Promise.all([
      openAs(shared, web.server.url, account),
      openAs(shared, web.server.url, account),
    ]);
    const deviceOf = async (page: Page) => {
      const dialog = await stateShown(page, /\(linked/);
      const text = (await dialog.locator(".this-device").textContent()) ?? "";
      await dialog.getByRole("button", { name: "Close" }).click();
      return text;
    };
    const first = await deviceOf(one.page);
    expect(await deviceOf(two.page)).toBe(first);
    // What the tabs saved holds the account key: a reload still can approve devices.
    await one.page.reload();
    await one.page.getByRole("main", { name: "Conversation" }).waitFor();
    const again = await deviceOf(one.page);
    expect(again).toBe(first);
    expect(again).toContain("holds the account key");
    expect(one.errors).toEqual([]);
    expect(two.errors).toEqual([]);
  });

  for (const mode of ["recovery key", "passphrase"] as const) {
    it(`restores a key backup by its ${mode} in a fresh browser, which then reads an earlier DM`, async () => {
      const bobAccount = await register(web.server.url, unique("bob"));
      const bob = await terminalPeer({
        server: web.server.url,
        home: join(web.dir.path, `bob-home-${mode.replace(" ", "-")}`),
        account: bobAccount,
        cleanups: web.cleanups,
      });
      const firstContext = await context();
      const first = await firstContext.newPage();
      await first.goto(web.server.url);
      const aliceName = unique("alice");
      const room = await browserUserWritingTo(first, aliceName, bobAccount.user.name);
      await sendInPage(first, "hello bob");
      await eventually(async () => expect(bob.texts()).toEqual(["hello bob"]));
      bob.dm.send(room, "the code is 4711");
      const bobSaid = `${bobAccount.user.name}: the code is 4711`;
      await eventually(async () => expect(await shownMessages(first)).toContain(bobSaid));

      const dialog = await openDevices(first);
      const phrase = "seven lanterns over the quiet harbour";
      let recoveryKey = "";
      if (mode === "recovery key") {
        await dialog.getByRole("button", { name: "Create key backup" }).click();
        await dialog
          .getByRole("alert")
          .filter({ hasText: "Store this recovery key now" })
          .waitFor();
        recoveryKey = (await dialog.locator(".recovery-key").textContent()) ?? "";
        await dialog.getByRole("status").filter({ hasText: "Key backup created" }).waitFor();
        expect(recoveryKey.length).toBeGreaterThan(20);
        expect(await seriousViolations(first, "recovery key shown")).toEqual([]);
      } else {
        await dialog.getByLabel("New backup passphrase").fill(phrase);
        await dialog.getByLabel("New backup passphrase").press("Enter");
        await dialog
          .getByRole("status")
          .filter({ hasText: "Key backup created from your passphrase" })
          .waitFor();
      }

      // A fresh browser, logged in as alice: its keys are new, so bob's words are sealed for none.
      const session = await first.evaluate(() => localStorage.getItem("parley.session"));
      const parsed = JSON.parse(session ?? "{}") as {
        token: string;
        user: { id: number; name: string };
      };
      const fresh = await openAs(await context(), web.server.url, parsed);
      await fresh.page
        .getByRole("button", { name: new RegExp(`^Direct messages with ${bobAccount.user.name}`) })
        .click();
      await fresh.page.getByRole("heading", { name: bobAccount.user.name, exact: true }).waitFor();
      await eventually(async () =>
        expect((await shownMessages(fresh.page)).join("\n")).toContain(
          "Not encrypted for this device",
        ),
      );
      expect(await shownMessages(fresh.page)).not.toContain(bobSaid);

      const restore = await openDevices(fresh.page);
      if (mode === "recovery key") {
        await restore.getByRole("textbox", { name: "Recovery key" }).fill("not a recovery key");
        await restore.getByRole("button", { name: "Restore", exact: true }).click();
        await restore
          .getByRole("alert")
          .filter({ hasText: "not this account's recovery key" })
          .waitFor();
        await restore.getByRole("textbox", { name: "Recovery key" }).fill(recoveryKey);
        await restore.getByRole("button", { name: "Restore", exact: true }).click();
      } else {
        await restore
          .getByLabel("Backup passphrase", { exact: true })
          .fill("seven lanterns, but wrong");
        await restore.getByRole("button", { name: "Restore with passphrase" }).click();
        await restore
          .getByRole("alert")
          .filter({ hasText: "not this account's backup passphrase" })
          .waitFor();
        await restore.getByLabel("Backup passphrase", { exact: true }).fill(phrase);
        await restore.getByRole("button", { name: "Restore with passphrase" }).click();
      }
      await restore.getByRole("status").filter({ hasText: "Restored" }).waitFor();
      // A browser's account key cannot be read out, so its backup does not carry it: not linked.
      expect(await restore.getByRole("status").textContent()).not.toContain("now linked");
      await restore.getByRole("button", { name: "Close" }).click();
      await eventually(async () => expect(await shownMessages(fresh.page)).toContain(bobSaid));
      expect(fresh.errors).toEqual([]);
    });
  }
});
