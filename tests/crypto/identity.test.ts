import { describe, expect, it } from "bun:test";
import { verifyBundle } from "../../src/crypto/bundle.ts";
import { CryptoError } from "../../src/crypto/crypto-error.ts";
import { accountKeyId, createAccountKey } from "../../src/crypto/device-list.ts";
import { open, seal } from "../../src/crypto/envelope.ts";
import {
  checkIdentity,
  createIdentity,
  exportIdentity,
  type Identity,
  importIdentity,
  withAccountKey,
} from "../../src/crypto/identity.ts";

/** The identity can still sign as itself and open what is sealed to it. */
async function stillWorks(me: Identity, peer: Identity): Promise<void> {
  expect((await verifyBundle(me.bundle)).ok).toBe(true);
  const envelope = await seal({ from: peer, conversation: "c", text: "to you", to: [me.bundle] });
  const opened = await open(envelope, { me, conversation: "c", senders: [peer.bundle] });
  expect(opened.outcome === "opened" && opened.text).toBe("to you");
  const back = await seal({ from: me, conversation: "c", text: "to them", to: [peer.bundle] });
  const reply = await open(back, { me: peer, conversation: "c", senders: [me.bundle] });
  expect(reply.outcome === "opened" && reply.text).toBe("to them");
}

describe("identity", () => {
  it("should keep the account key through export and import, and refuse one that does not belong together", async () => {
    const me = await createIdentity({ user: "alice", device: "term", extractable: true });
    const account = await createAccountKey(true);
    const file = await exportIdentity(withAccountKey(me, account));
    expect(file.account?.crv).toBe("Ed25519");
    const imported = await importIdentity(JSON.parse(JSON.stringify(file)));
    if (!imported.ok || !imported.identity.account) throw new Error("no account key");
    expect(await accountKeyId(imported.identity.account)).toBe(await accountKeyId(account));
    const other = await exportIdentity(withAccountKey(me, await createAccountKey(true)));
    const mixed = { ...file, account: { ...file.account, x: other.account?.x } };
    expect(await importIdentity(mixed)).toEqual({ ok: false, reason: "bad-key" });
    // Without one, the file is as before.
    expect((await exportIdentity(me)).account).toBeUndefined();
  });

  it("should make a device id of 22 base64url characters when none is given", async () => {
    const a = await createIdentity({ user: "alice" });
    const b = await createIdentity({ user: "alice" });
    expect(a.device).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.device).not.toBe(b.device);
    expect(a.bundle.user).toBe("alice");
    expect(a.bundle.device).toBe(a.device);
  });

  it("should keep its private keys non-extractable by default and refuse to export them", async () => {
    const me = await createIdentity({ user: "alice" });
    expect(me.agreement.privateKey.extractable).toBe(false);
    expect(me.signing.privateKey.extractable).toBe(false);
    const refused = await exportIdentity(me).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CryptoError);
    expect((refused as CryptoError).code).toBe("NOT_EXTRACTABLE");
  });

  it("should keep working after export to JSON text and import", async () => {
    const me = await createIdentity({ user: "alice", device: "term", extractable: true });
    const peer = await createIdentity({ user: "bob" });
    const text = JSON.stringify(await exportIdentity(me));
    const imported = await importIdentity(JSON.parse(text));
    if (!imported.ok) throw new Error(imported.reason);
    expect(imported.identity.bundle.x25519).toBe(me.bundle.x25519);
    expect(imported.identity.bundle.ed25519).toBe(me.bundle.ed25519);
    expect(imported.identity.agreement.privateKey.extractable).toBe(false);
    await stillWorks(imported.identity, peer);
    // What the old instance sealed, the imported one opens, and the other way round.
    const sealed = await seal({ from: me, conversation: "c", text: "hi", to: [peer.bundle] });
    const opened = await open(sealed, {
      me: peer,
      conversation: "c",
      senders: [imported.identity.bundle],
    });
    expect(opened.outcome).toBe("opened");
  });

  it("should re-import as extractable only when asked", async () => {
    const me = await createIdentity({ user: "alice", extractable: true });
    const file = await exportIdentity(me);
    const again = await importIdentity(file, { extractable: true });
    expect(again.ok && (await exportIdentity(again.identity))).toEqual(file);
  });

  it("should survive structured cloning, as IndexedDB stores it in a browser", async () => {
    const me = await createIdentity({ user: "alice" });
    const peer = await createIdentity({ user: "bob" });
    await stillWorks(structuredClone(me), peer);
  });

  it("should refuse a file that is not an identity as malformed", async () => {
    const me = await createIdentity({ user: "alice", extractable: true });
    const file = await exportIdentity(me);
    for (const bad of [
      null,
      {},
      { ...file, v: 2 },
      { ...file, x25519: { ...file.x25519, d: "" } },
    ]) {
      expect(await importIdentity(bad)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("should refuse a file whose public and private keys do not belong together as bad-key", async () => {
    const a = await exportIdentity(await createIdentity({ user: "alice", extractable: true }));
    const b = await exportIdentity(await createIdentity({ user: "alice", extractable: true }));
    const mixedAgreement = { ...a, x25519: { ...a.x25519, x: b.x25519.x } };
    const mixedSigning = { ...a, ed25519: { ...a.ed25519, x: b.ed25519.x } };
    expect(await importIdentity(mixedAgreement)).toEqual({ ok: false, reason: "bad-key" });
    expect(await importIdentity(mixedSigning)).toEqual({ ok: false, reason: "bad-key" });
  });

  it("should refuse ids that are empty or too long with INVALID_ID", async () => {
    for (const options of [{ user: "" }, { user: "a", device: "d".repeat(65) }]) {
      const err = await createIdentity(options).catch((e: unknown) => e);
      expect((err as CryptoError).code).toBe("INVALID_ID");
    }
  });

  it("should accept an identity kept as non-extractable keys, and refuse one whose keys do not belong together", async () => {
    const me = await createIdentity({ user: "7" });
    const kept = await checkIdentity(structuredClone(me));
    expect(kept.ok).toBe(true);
    if (kept.ok) expect(kept.identity.bundle).toEqual(me.bundle);
    const other = await createIdentity({ user: "7", device: me.device });
    const mixed = await checkIdentity({
      ...me,
      agreement: { ...me.agreement, privateKey: other.agreement.privateKey },
    });
    expect(mixed).toEqual({ ok: false, reason: "bad-key" });
    expect(await checkIdentity({ user: "7", device: me.device })).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(await checkIdentity("not an identity")).toEqual({ ok: false, reason: "malformed" });
  });
});
