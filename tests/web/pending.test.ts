import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  openPage,
  registerInPage,
  sendInPage,
  shownMessages,
  spawnWebServer,
} from "./browser.ts";
import { browserUserWritingTo, suiteTerminal } from "./dm-peer.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("messages that did not go, in the browser client", () => {
  const web = browserSuite("pending");

  function context(viewport = { width: 1440, height: 900 }): Promise<BrowserContext> {
    return web.context({ viewport });
  }

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 375, height: 740 },
  ]) {
    it(`offers Retry and Dismiss on a failed upload: Retry shares it once the server is back, Dismiss removes it, at ${viewport.width} px`, async () => {
      const db = join(web.dir.path, `retry-${viewport.width}.db`);
      let node = await spawnWebServer(db);
      web.adopt(node);
      const port = Number(new URL(node.url).port);
      const alice = await openPage(await context(viewport), node.url);
      await registerInPage(alice.page, unique("alice"));
      await createRoomInPage(alice.page, unique("retry"));

      const listBefore = await alice.page.locator(".messages").boundingBox();
      await node.kill();
      await alice.page.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
      // The banner lies over the list: nothing in it moves.
      expect(await alice.page.locator(".messages").boundingBox()).toEqual(listBefore);
      for (const name of ["first.txt", "second.txt"]) {
        await alice.page.locator(".file-input").setInputFiles({
          name,
          mimeType: "text/plain",
          buffer: Buffer.from(`${name}\n`),
        });
        await alice.page.locator(".pending-items .msg.failed", { hasText: name }).waitFor();
      }
      node = await spawnWebServer(db, port);
      web.adopt(node);
      await eventually(async () =>
        expect(await alice.page.locator(".shell").getAttribute("data-connection")).toBe(
          "back-online",
        ),
      );
      // Still there after the reconnect, each with its two ways out.
      expect(await alice.page.locator(".pending-items .msg.failed").count()).toBe(2);
      await alice.page.getByRole("button", { name: "Dismiss second.txt" }).click();
      await alice.page.getByRole("button", { name: "Retry sending first.txt" }).click();
      const stored = alice.page.locator(".items:not(.pending-items) .msg");
      await stored.locator(".file-name", { hasText: "first.txt" }).waitFor();
      await eventually(async () =>
        expect(await alice.page.locator(".pending-items .msg").count()).toBe(0),
      );
      expect(await stored.count()).toBe(1);
      expect(alice.errors).toEqual([]);
    });
  }

  it("keeps a DM held for a key change when the tab closes, and sends it once after the keys are accepted", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const c = await context();
    const alice = await openPage(c, web.server.url);
    await browserUserWritingTo(alice.page, unique("alice"), bobAccount.user.name);
    await sendInPage(alice.page, "before the change");
    await eventually(async () => expect(bob.texts()).toEqual(["before the change"]));
    // bob resets his account key on a new device: alice's next message waits.
    const bob2 = await suiteTerminal(web, bobAccount);
    await bob2.dm.devices?.resetAccount();
    await alice.page.getByRole("alert").filter({ hasText: "encryption keys changed" }).waitFor();
    await sendInPage(alice.page, "held over a reload");
    await alice.page
      .locator(".pending-items .msg", { hasText: "held over a reload" })
      .locator(".status.held")
      .waitFor();
    await alice.page.close();

    const again = await openPage(c, web.server.url);
    await again.page
      .getByRole("button", { name: `Direct messages with ${bobAccount.user.name}` })
      .click();
    await again.page
      .locator(".pending-items .msg", { hasText: "held over a reload" })
      .locator(".status.held")
      .waitFor();
    expect(bob.texts()).toEqual(["before the change"]);
    await again.page.getByRole("button", { name: "Accept new keys" }).click();
    // Sent once, to the device under bob's new account key (the old one is not in its list).
    await eventually(async () => expect(bob2.texts()).toEqual(["held over a reload"]));
    expect(bob.texts()).toEqual(["before the change"]);
    await eventually(async () =>
      expect(
        (await shownMessages(again.page)).filter((m) => m.endsWith("held over a reload")).length,
      ).toBe(1),
    );
    expect(
      await again.page.evaluate(() =>
        Object.keys(localStorage).filter((k) => k.startsWith("parley.held")),
      ),
    ).toEqual([]);
    expect(again.errors).toEqual([]);
  });
});
