import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openPage, sendInPage } from "./browser.ts";
import { browserUserWritingTo, suiteTerminal } from "./dm-peer.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

/** Opens the DM with `peer` from the sidebar (showing it first on a narrow screen). */
async function openDm(page: Page, peer: string): Promise<void> {
  const menu = page.getByRole("button", { name: "Show conversations" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("button", { name: new RegExp(`^Direct messages with ${peer}`) }).click();
  await page.getByRole("heading", { name: peer, exact: true }).waitFor();
}

describe.skipIf(gate.skip)("trust in DM keys, in the browser client", () => {
  const web = browserSuite("dm-trust");

  function context(viewport = { width: 1440, height: 900 }): Promise<BrowserContext> {
    return web.context({ viewport });
  }

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 375, height: 740 },
  ]) {
    it(`says "verified" as good news, drops the button, and shows it in the header, at ${viewport.width} px`, async () => {
      const bobAccount = await register(web.server.url, unique("bob"));
      await suiteTerminal(web, bobAccount);
      const alice = await openPage(await context(viewport), web.server.url);
      const bob = bobAccount.user.name;
      await browserUserWritingTo(alice.page, unique("alice"), bob);
      await sendInPage(alice.page, "hello");
      await alice.page.getByRole("button", { name: `Safety number with ${bob}` }).click();
      const dialog = alice.page.getByRole("dialog", { name: `Safety number with ${bob}` });
      await eventually(async () => expect(await dialog.locator(".group").count()).toBe(12));
      await dialog.getByRole("button", { name: "Mark verified" }).click();
      const result = dialog.getByRole("status").filter({ hasText: `${bob} is verified.` });
      await result.waitFor();
      expect(await result.evaluate((el) => el.classList.contains("form-error"))).toBe(false);
      const [resultColour, dangerColour] = await result.evaluate((el) => [
        getComputedStyle(el).color,
        getComputedStyle(el).getPropertyValue("--danger"),
      ]);
      expect(resultColour).not.toBe(dangerColour);
      expect(await dialog.getByRole("button", { name: "Mark verified" }).count()).toBe(0);
      await dialog.getByText("Verified: you compared this number").waitFor();
      await dialog.getByRole("button", { name: "Close" }).click();
      await eventually(async () =>
        expect(await alice.page.locator(".room-subtitle").textContent()).toContain("✓ verified"),
      );
      expect(alice.errors).toEqual([]);
    });
  }

  it("shows a DM that arrives while two tabs are open in both, though they share one replay memory", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = bobAccount.user.name;
    const bobDesk = await suiteTerminal(web, bobAccount);
    const c = await context();
    const one = await openPage(c, web.server.url);
    const room = await browserUserWritingTo(one.page, unique("alice"), bob);
    await sendInPage(one.page, "hello bob");
    await eventually(async () => expect(bobDesk.texts()).toEqual(["hello bob"]));
    const two = await openPage(c, web.server.url);
    await openDm(two.page, bob);
    await two.page.getByText("hello bob").first().waitFor();

    bobDesk.dm.send(room, "hello both tabs");
    for (const tab of [one, two]) {
      await tab.page.locator(".msg", { hasText: "hello both tabs" }).first().waitFor();
    }
    expect([...one.errors, ...two.errors]).toEqual([]);
  });

  it("lets two tabs of one user change the key book without undoing each other", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const carolAccount = await register(web.server.url, unique("carol"));
    const [bob, carol] = [bobAccount.user.name, carolAccount.user.name];
    const bobDesk = await suiteTerminal(web, bobAccount);
    await suiteTerminal(web, carolAccount);
    const c = await context();
    const one = await openPage(c, web.server.url);
    await browserUserWritingTo(one.page, unique("alice"), bob);
    await sendInPage(one.page, "hello bob");
    await eventually(async () => expect(bobDesk.texts()).toEqual(["hello bob"]));
    // The second tab shares the session and the keys (same profile).
    const two = await openPage(c, web.server.url);
    await openDm(two.page, bob);

    // bob installs the client again and resets his account key there: both tabs see the change.
    const bobLaptop = await suiteTerminal(web, bobAccount);
    await bobLaptop.dm.devices?.resetAccount();
    for (const tab of [one, two]) {
      await tab.page.getByRole("alert").filter({ hasText: "encryption keys changed" }).waitFor();
    }
    await one.page.getByRole("button", { name: "Accept new keys" }).click();
    await eventually(async () =>
      expect(await one.page.getByRole("button", { name: "Accept new keys" }).isVisible()).toBe(
        false,
      ),
    );
    // Tab two, which still remembers bob as changed, records carol's keys.
    await two.page.getByRole("button", { name: "Message someone" }).click();
    await two.page.getByLabel("Username").fill(carol);
    await two.page.getByRole("button", { name: "Open", exact: true }).click();
    await two.page.getByRole("heading", { name: carol, exact: true }).waitFor();
    await sendInPage(two.page, "hello carol");
    await eventually(async () =>
      expect(await two.page.locator(".pending-items .msg").count()).toBe(0),
    );

    // A fresh tab reads the book as stored: bob's acceptance is still there.
    const three = await openPage(c, web.server.url);
    await openDm(three.page, bob);
    await three.page.getByText("end-to-end encrypted").first().waitFor();
    await sendInPage(three.page, "after both tabs wrote");
    // Sealed for the device under bob's new account key (the desk is not in its list).
    await eventually(async () => expect(bobLaptop.texts()).toContain("after both tabs wrote"));
    expect(await three.page.getByRole("button", { name: "Accept new keys" }).count()).toBe(0);
    expect([...one.errors, ...two.errors, ...three.errors]).toEqual([]);
  });
});
