import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  createIdentity,
  type Envelope,
  importIdentity,
  seal,
  type VerifiedBundle,
  verifyBundle,
} from "../../src/crypto/index.ts";
import { dmConversation, type Message } from "../../src/protocol/index.ts";
import { api, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  eventually,
  openPage,
  sendInPage,
  shotDir,
  shownMessages,
} from "./browser.ts";
import { browserUserWritingTo, suiteTerminal } from "./dm-peer.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("end-to-end encrypted DMs in the browser", () => {
  const web = browserSuite("dm");

  async function page(): Promise<{ page: Page; errors: string[] }> {
    const c = await web.context({ viewport: { width: 1280, height: 860 } });
    return openPage(c, web.server.url);
  }

  async function stored(token: string, room: number): Promise<Message[]> {
    const res = await api<{ messages: Message[] }>(
      web.server.url,
      "GET",
      `/api/rooms/${room}/messages?after=0&limit=200`,
      undefined,
      token,
    );
    return res.body.messages;
  }

  it("a browser user and a terminal user read each other's sealed DMs; the server stores only envelopes", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    const aliceName = unique("alice");
    const room = await browserUserWritingTo(alice.page, aliceName, bobAccount.user.name);
    await alice.page.getByText("end-to-end encrypted").first().waitFor();

    await sendInPage(alice.page, "hello bob, from the browser <b>bold</b>");
    await eventually(async () =>
      expect(bob.texts()).toEqual(["hello bob, from the browser <b>bold</b>"]),
    );
    expect(bob.got[0]?.from).toBe(aliceName);
    expect(bob.got[0]?.room).toBe(room);

    bob.dm.send(room, "hi alice, from the terminal");
    const expected = [
      `${aliceName}: hello bob, from the browser <b>bold</b>`,
      `${bobAccount.user.name}: hi alice, from the terminal`,
    ];
    await eventually(async () => expect(await shownMessages(alice.page)).toEqual(expected));
    await eventually(async () =>
      expect(await alice.page.locator(".pending-items .msg").count()).toBe(0),
    );
    expect(await alice.page.locator(".items b").count()).toBe(0);

    // The server holds envelopes only: empty bodies, and neither text anywhere in what it stores.
    const messages = await stored(bobAccount.token, room);
    expect(messages.length).toBe(2);
    for (const m of messages) {
      expect(m.body).toBe("");
      expect(m.envelope).toBeDefined();
    }
    const raw = JSON.stringify(messages);
    expect(raw).not.toContain("from the browser");
    expect(raw).not.toContain("from the terminal");

    // A fresh load of the page (keys from IndexedDB) opens the history again.
    await alice.page.reload();
    await alice.page
      .getByRole("button", { name: `Direct messages with ${bobAccount.user.name}` })
      .click();
    await eventually(async () => expect(await shownMessages(alice.page)).toEqual(expected));
    await alice.page.screenshot({ path: join(shotDir(), "dm-alice.png") });

    // The private keys sit in IndexedDB as CryptoKeys no script can export.
    const keys = await alice.page.evaluate(
      () =>
        new Promise<unknown>((resolve, reject) => {
          const req = indexedDB.open("parley-e2ee");
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const all = req.result.transaction("device").objectStore("device").getAll();
            all.onerror = () => reject(all.error);
            all.onsuccess = () => {
              const identity = (
                all.result as { agreement?: CryptoKeyPair; signing?: CryptoKeyPair }[]
              ).find((v) => v?.agreement?.privateKey instanceof CryptoKey);
              resolve(
                identity && {
                  agreement: identity.agreement?.privateKey.extractable,
                  signing: identity.signing?.privateKey.extractable,
                },
              );
            };
          };
        }),
    );
    expect(keys).toEqual({ agreement: false, signing: false });
    expect(alice.errors).toEqual([]);
  });

  it("announces a changed key loudly, holds messages until accepted, and shows a matching safety number", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    const aliceName = unique("alice");
    const room = await browserUserWritingTo(alice.page, aliceName, bobAccount.user.name);
    await sendInPage(alice.page, "before the change");
    await eventually(async () => expect(bob.texts()).toEqual(["before the change"]));

    // bob installs the client again elsewhere, without his account key: he resets it there.
    const bob2 = await suiteTerminal(web, bobAccount);
    await bob2.dm.devices?.resetAccount();
    const alert = alice.page.getByRole("alert").filter({ hasText: "encryption keys changed" });
    await alert.waitFor();
    await alice.page.locator(".notice.alert", { hasText: "account key of" }).waitFor();
    await alice.page.screenshot({ path: join(shotDir(), "dm-key-change.png") });

    // Sent to a changed key: it waits, shown as waiting, until alice accepts.
    await sendInPage(alice.page, "after the change");
    await alice.page
      .locator(".pending-items .msg", { hasText: "after the change" })
      .locator(".status.held")
      .waitFor();
    expect(bob.texts()).toEqual(["before the change"]);

    // The safety number matches the one the terminal computes, and can be marked verified.
    await alice.page.getByRole("button", { name: "Compare safety numbers" }).click();
    const digits = alice.page.locator(".safety-number .group");
    await eventually(async () => expect(await digits.count()).toBe(12));
    const shown = (await digits.allTextContents()).join("");
    expect(shown).toBe(((await bob2.dm.safetyNumberWith(aliceName)) ?? "").replaceAll(" ", ""));
    await alice.page.getByRole("button", { name: "Mark verified" }).click();
    await alice.page.getByText(`${bobAccount.user.name} is verified.`).waitFor();
    await alice.page.getByRole("button", { name: "Close" }).last().click();

    // Verifying accepted exactly that key: the waiting message goes to bob's device under it
    // (his old device is not in the new account key's list, so nothing is sealed for it).
    await eventually(async () => expect(await alert.isHidden()).toBe(true));
    await eventually(async () => expect(bob2.texts()).toContain("after the change"));
    expect(bob.texts()).toEqual(["before the change"]);
    await eventually(async () =>
      expect(await alice.page.locator(".pending-items .msg").count()).toBe(0),
    );
    // And alice reads the new device.
    bob2.dm.send(room, "from the new device");
    await alice.page.locator(".msg", { hasText: "from the new device" }).waitFor();
    expect(alice.errors).toEqual([]);
  });

  it("shows a forged DM as a tampered-message warning and one not sealed for this browser as such, never their text", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    const aliceName = unique("alice");
    const room = await browserUserWritingTo(alice.page, aliceName, bobAccount.user.name);
    await sendInPage(alice.page, "hello");
    await eventually(async () => expect(bob.texts()).toEqual(["hello"]));

    // bob's own keys, sealing by hand: one envelope altered after signing, one not for alice.
    const imported = await importIdentity(JSON.parse(readFileSync(bob.identityPath, "utf8")));
    if (!imported.ok) throw new Error("bob's identity file did not load");
    const aliceId = bob.dm.peerOf(room)?.id;
    if (aliceId === undefined) throw new Error("bob does not know the DM's peer");
    const listed = await bob.conn.request<"devices">({ type: "devices", users: [aliceId] });
    const aliceDevices: VerifiedBundle[] = [];
    for (const b of listed.users[0]?.devices ?? []) {
      const check = await verifyBundle(b);
      if (check.ok) aliceDevices.push(check.bundle);
    }
    expect(aliceDevices.length).toBe(1);
    const sealer =
      (text: string, to: VerifiedBundle[], alter: (e: Envelope) => Envelope) =>
      async (id: string) =>
        alter(
          await seal({ from: imported.identity, conversation: dmConversation(room), text, id, to }),
        );
    // A different text under the same signature: one base64url character of the ciphertext flipped.
    const flip = (e: Envelope): Envelope => {
      const i = Math.floor(e.ct.length / 2);
      return { ...e, ct: `${e.ct.slice(0, i)}${e.ct[i] === "A" ? "B" : "A"}${e.ct.slice(i + 1)}` };
    };
    bob.conn.send(room, "", { seal: sealer("forged secret", aliceDevices, flip) });
    bob.conn.send(room, "", { seal: sealer("only for bob", [], (e) => e) });
    bob.dm.send(room, "a genuine one");

    const bobName = bobAccount.user.name;
    await eventually(async () =>
      expect(await shownMessages(alice.page)).toEqual([
        `${aliceName}: hello`,
        `${bobName}: ⚠ tampered message: it was altered or forged, so it is not shown`,
        `${bobName}: 🔒 Not encrypted for this device (sent before this browser had its keys)`,
        `${bobName}: a genuine one`,
      ]),
    );
    const text = (await alice.page.locator(".messages").textContent()) ?? "";
    expect(text).not.toContain("forged secret");
    expect(text).not.toContain("only for bob");
    expect(await alice.page.locator(".placeholder.sealed.tampered").count()).toBe(1);
    expect(alice.errors).toEqual([]);
  });

  it("shows a DM from a device outside bob's signed device list as from an unverified device, never as his words", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    const aliceName = unique("alice");
    const room = await browserUserWritingTo(alice.page, aliceName, bobAccount.user.name);
    await sendInPage(alice.page, "hello");
    await eventually(async () => expect(bob.texts()).toEqual(["hello"]));

    // A device the server lists for bob, which bob's account key never signed.
    const rogue = await createIdentity({ user: String(bobAccount.user.id) });
    await bob.conn.request<"ok">({ type: "device", bundle: rogue.bundle });
    const aliceId = bob.dm.peerOf(room)?.id as number;
    const listed = await bob.conn.request<"devices">({ type: "devices", users: [aliceId] });
    const to: VerifiedBundle[] = [];
    for (const b of listed.users[0]?.devices ?? []) {
      const check = await verifyBundle(b);
      if (check.ok) to.push(check.bundle);
    }
    const iban = "Bob here, new phone: send the wire to IBAN DE00 1234";
    bob.conn.send(room, "", {
      seal: (id) => seal({ from: rogue, conversation: dmConversation(room), text: iban, id, to }),
    });
    const bobName = bobAccount.user.name;
    await eventually(async () =>
      expect(await shownMessages(alice.page)).toContain(
        `${bobName}: ⚠ From an unverified device of this person (not in their signed device list): not shown as their words`,
      ),
    );
    expect((await alice.page.locator(".messages").textContent()) ?? "").not.toContain(iban);
    await alice.page.locator(".notice.alert", { hasText: "did not sign" }).first().waitFor();
    expect(alice.errors).toEqual([]);
  });
});
