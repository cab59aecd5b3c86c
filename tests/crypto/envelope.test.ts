import { describe, expect, it } from "bun:test";
import { signBundle, type VerifiedBundle } from "../../src/crypto/bundle.ts";
import { contentCipher, newContentKey } from "../../src/crypto/content-key.ts";
import { CryptoError } from "../../src/crypto/crypto-error.ts";
import { fromBase64Url, toBase64Url } from "../../src/crypto/encoding.ts";
import { type OpenOptions, open, seal, type TamperReason } from "../../src/crypto/envelope.ts";
import { type Envelope, envelopeSchema, headerBytes } from "../../src/crypto/envelope-format.ts";
import { createIdentity, type Identity } from "../../src/crypto/identity.ts";
import { wrapContentKey } from "../../src/crypto/key-wrap.ts";
import { pad } from "../../src/crypto/padding.ts";
import { DEVICES_MAX, TEXT_BYTES_MAX } from "../../src/crypto/wire.ts";
import { byteLength, devices, flipBit, signAs } from "./fixtures.ts";

const CONV = "dm:alice:bob";

/** Alice on a laptop and a phone, Bob on three devices, and Eve. */
async function cast() {
  const [aliceLaptop, alicePhone] = await devices("alice", ["laptop", "phone"]);
  const bobs = await devices("bob", ["desk", "phone", "tablet"]);
  const [eve] = await devices("eve", ["x"]);
  if (!aliceLaptop || !alicePhone || !eve) throw new Error("setup");
  const bobBundles = bobs.map((d) => d.bundle);
  const senders = [aliceLaptop.bundle, alicePhone.bundle, ...bobBundles];
  return { aliceLaptop, alicePhone, bobs, bobBundles, eve, senders };
}

describe("seal and open", () => {
  it("should deliver the text to every recipient device, the sender's other device and itself", async () => {
    const { aliceLaptop, alicePhone, bobs, bobBundles, senders } = await cast();
    const envelope = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "meet at 6 ☕",
      to: [...bobBundles, alicePhone.bundle],
      id: "cid-1",
      now: () => 1_700_000_000_000,
    });
    for (const me of [...bobs, alicePhone, aliceLaptop]) {
      const opened = await open(envelope, { me, conversation: CONV, senders });
      expect(opened).toEqual({
        outcome: "opened",
        text: "meet at 6 ☕",
        id: "cid-1",
        at: 1_700_000_000_000,
        conversation: CONV,
        from: { user: "alice", device: "laptop" },
        to: [
          { user: "alice", device: "laptop" },
          { user: "alice", device: "phone" },
          { user: "bob", device: "desk" },
          { user: "bob", device: "phone" },
          { user: "bob", device: "tablet" },
        ],
      });
    }
  });

  it("should travel as JSON of strings and numbers only and pass the schema", async () => {
    const { aliceLaptop, bobBundles } = await cast();
    const envelope = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "x",
      to: bobBundles,
    });
    const leaves: unknown[] = [];
    const walk = (v: unknown): void => {
      if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
      else leaves.push(v);
    };
    walk(envelope);
    expect(leaves.every((v) => typeof v === "string" || typeof v === "number")).toBe(true);
    expect(envelopeSchema.parse(JSON.parse(JSON.stringify(envelope)))).toEqual(envelope);
  });

  it("should tell a device that is not addressed so, and give it no text", async () => {
    const { aliceLaptop, bobs, eve, senders } = await cast();
    const [desk] = bobs;
    if (!desk) throw new Error("setup");
    const envelope = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "x",
      to: [desk.bundle],
    });
    for (const me of [eve, ...bobs.slice(1)]) {
      expect(await open(envelope, { me, conversation: CONV, senders })).toEqual({
        outcome: "not-addressed",
      });
    }
  });

  it("should not let an outsider open by listing itself with a copied wrapped key", async () => {
    const { aliceLaptop, bobBundles, eve, senders } = await cast();
    const envelope = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "x",
      to: bobBundles,
    });
    const first = envelope.to[0];
    if (!first) throw new Error("setup");
    const forged = { ...envelope, to: [...envelope.to, { u: "eve", d: "x", k: first.k }] };
    const opened = await open(forged, { me: eve, conversation: CONV, senders });
    expect(opened).toEqual({ outcome: "tampered", reason: "signature" });
  });

  it("should let a device added later open what is sealed after, not what was sealed before", async () => {
    const { aliceLaptop, bobBundles, senders } = await cast();
    const before = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "old",
      to: bobBundles,
    });
    const newDevice = await createIdentity({ user: "bob", device: "new-laptop" });
    const after = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "new",
      to: [...bobBundles, newDevice.bundle],
    });
    const options = { me: newDevice, conversation: CONV, senders };
    expect(await open(before, options)).toEqual({ outcome: "not-addressed" });
    const opened = await open(after, options);
    expect(opened.outcome === "opened" && opened.text).toBe("new");
  });
});

describe("open on a tampered envelope", () => {
  async function sealed() {
    const c = await cast();
    const envelope = await seal({
      from: c.aliceLaptop,
      conversation: CONV,
      text: "transfer 10 coins to bob",
      to: c.bobBundles,
    });
    const [me] = c.bobs;
    if (!me) throw new Error("setup");
    const options: OpenOptions = { me, conversation: CONV, senders: c.senders };
    expect((await open(envelope, options)).outcome).toBe("opened");
    return { ...c, envelope, options };
  }

  /** Every flip of a bit in one field must come back as tampered, never as text. */
  async function expectEveryFlipTampered(
    options: OpenOptions,
    field: string,
    edit: (bit: number) => Envelope,
  ): Promise<number> {
    let flips = 0;
    for (let bit = 0; bit < byteLength(field) * 8; bit++) {
      const result = await open(JSON.parse(JSON.stringify(edit(bit))), options);
      expect(result.outcome).toBe("tampered");
      expect("text" in result).toBe(false);
      flips++;
    }
    return flips;
  }

  it("should detect every single-bit flip in the ciphertext, IV, ephemeral key, commitment and signature", async () => {
    const { envelope: e, options } = await sealed();
    let flips = 0;
    for (const field of ["ct", "iv", "epk", "kc", "sig"] as const) {
      flips += await expectEveryFlipTampered(options, e[field], (b) => ({
        ...e,
        [field]: flipBit(e[field], b),
      }));
    }
    expect(flips).toBe((80 + 12 + 32 + 32 + 64) * 8);
  });

  it("should detect every single-bit flip in the reader's own wrapped key and in others'", async () => {
    const { envelope: e, options } = await sealed();
    for (const index of [0, 1, 2, 3]) {
      const entry = e.to[index];
      if (!entry) throw new Error("setup");
      const flips = await expectEveryFlipTampered(options, entry.k, (b) => ({
        ...e,
        to: e.to.map((r, i) => (i === index ? { ...r, k: flipBit(r.k, b) } : r)),
      }));
      expect(flips).toBe(48 * 8);
    }
  });

  it("should detect every flip even when the sender's device re-signs it, by AES-GCM alone", async () => {
    // With a valid signature over the flipped bytes only the AEAD layers stand in the way: this
    // proves each catches every flip on its own, and that a sender cannot alter what it sent.
    const { envelope: e, aliceLaptop, options } = await sealed();
    const mine = e.to.findIndex((r) => r.u === options.me.user && r.d === options.me.device);
    const fields: [string, (bit: number) => Envelope, TamperReason][] = [
      [e.ct, (b) => ({ ...e, ct: flipBit(e.ct, b) }), "ciphertext"],
      [e.iv, (b) => ({ ...e, iv: flipBit(e.iv, b) }), "ciphertext"],
      [e.epk, (b) => ({ ...e, epk: flipBit(e.epk, b) }), "wrapped-key"],
      [e.kc, (b) => ({ ...e, kc: flipBit(e.kc, b) }), "wrapped-key"],
      [
        e.to[mine]?.k ?? "",
        (b) => ({ ...e, to: e.to.map((r, i) => (i === mine ? { ...r, k: flipBit(r.k, b) } : r)) }),
        "wrapped-key",
      ],
    ];
    for (const [field, edit, reason] of fields) {
      for (let bit = 0; bit < byteLength(field) * 8; bit++) {
        const resigned = await signAs(aliceLaptop, edit(bit));
        expect(await open(resigned, options)).toEqual({ outcome: "tampered", reason });
      }
    }
  });

  it("should bind the header inside AES-GCM too, not only under the signature", async () => {
    const { envelope: e, aliceLaptop, alicePhone, options } = await sealed();
    const rebound: Envelope[] = [
      await signAs(aliceLaptop, { ...e, conv: "dm:alice:eve" }),
      await signAs(aliceLaptop, { ...e, id: "other" }),
      await signAs(aliceLaptop, { ...e, at: e.at + 1 }),
      await signAs(aliceLaptop, { ...e, to: [...e.to].reverse() }),
      await signAs(alicePhone, { ...e, from: { u: "alice", d: "phone" } }),
    ];
    for (const edited of rebound) {
      const result = await open(edited, { ...options, conversation: edited.conv });
      expect(result).toEqual({ outcome: "tampered", reason: "wrapped-key" });
    }
  });

  it("should refuse a device that was wrapped another content key than the one committed to", async () => {
    // A malicious sender could otherwise show different texts to different devices.
    const { aliceLaptop, bobBundles, bobs, senders } = await cast();
    const [desk, phone] = bobs;
    if (!desk || !phone) throw new Error("setup");
    const envelope = await sealSplit(aliceLaptop, bobBundles, "phone");
    const options = { conversation: CONV, senders };
    const honest = await open(envelope, { ...options, me: desk });
    expect(honest.outcome === "opened" && honest.text).toBe("one text for all");
    expect(await open(envelope, { ...options, me: phone })).toEqual({
      outcome: "tampered",
      reason: "key-commitment",
    });
  });

  it("should refuse an envelope delivered in another conversation", async () => {
    const { envelope, options } = await sealed();
    expect(await open(envelope, { ...options, conversation: "dm:alice:eve" })).toEqual({
      outcome: "tampered",
      reason: "conversation",
    });
  });

  it("should refuse an envelope whose conversation, time, id or recipients were rewritten", async () => {
    const { envelope: e, options } = await sealed();
    const rewrites: Envelope[] = [
      { ...e, conv: "dm:alice:eve" },
      { ...e, at: e.at + 1 },
      { ...e, id: "other" },
      { ...e, to: [...e.to].reverse() },
      { ...e, to: e.to.slice(0, 2) },
    ];
    for (const rewritten of rewrites) {
      const result = await open(rewritten, { ...options, conversation: rewritten.conv });
      expect(result).toEqual({ outcome: "tampered", reason: "signature" });
    }
  });

  it("should refuse an envelope claimed by another device of the sender or another sender", async () => {
    const { envelope: e, options } = await sealed();
    for (const from of [
      { u: "alice", d: "phone" },
      { u: "bob", d: "desk" },
    ]) {
      expect(await open({ ...e, from }, options)).toEqual({
        outcome: "tampered",
        reason: "signature",
      });
    }
  });

  it("should refuse an envelope re-signed by another device claiming to have sent it", async () => {
    // Eve holds a valid bundle and re-signs Alice's ciphertext as her own: the sender is bound
    // inside the AEAD, so without the content key she cannot make it open as hers.
    const { envelope: e, eve, options } = await sealed();
    const claimed = await signAs(eve, { ...e, from: { u: "eve", d: "x" } });
    const result = await open(claimed, { ...options, senders: [...options.senders, eve.bundle] });
    expect(result).toEqual({ outcome: "tampered", reason: "wrapped-key" });
  });

  it("should refuse an envelope checked against a stale key of the sender's device", async () => {
    const { envelope, options } = await sealed();
    const impostor = await createIdentity({ user: "alice", device: "laptop" });
    const result = await open(envelope, { ...options, senders: [impostor.bundle] });
    expect(result).toEqual({ outcome: "tampered", reason: "signature" });
  });

  it("should refuse a sender or recipient outside the named participants", async () => {
    const { envelope, options } = await sealed();
    const result = await open(envelope, { ...options, participants: ["bob", "eve"] });
    expect(result).toEqual({ outcome: "tampered", reason: "participants" });
    const fine = await open(envelope, { ...options, participants: ["alice", "bob"] });
    expect(fine.outcome).toBe("opened");
  });

  it("should say which sender device it needs when that bundle is unknown", async () => {
    const { envelope, options } = await sealed();
    expect(await open(envelope, { ...options, senders: [] })).toEqual({
      outcome: "unknown-sender",
      from: { user: "alice", device: "laptop" },
    });
  });

  it("should call shapes that are not envelopes malformed, without throwing", async () => {
    const { envelope: e, options } = await sealed();
    const first = e.to[0];
    if (!first) throw new Error("setup");
    const bad: unknown[] = [
      undefined,
      "text",
      [],
      { ...e, v: 2 },
      { ...e, ct: `${e.ct}A` },
      { ...e, ct: e.ct.slice(0, 10) },
      { ...e, iv: `${e.iv.slice(0, -1)}!` },
      { ...e, sig: e.sig.slice(1) },
      { ...e, to: [] },
      { ...e, to: [...e.to, first] },
      { ...e, at: -1 },
      { ...e, at: "1" },
    ];
    for (const input of bad) {
      expect(await open(input, options)).toEqual({ outcome: "tampered", reason: "malformed" });
    }
  });

  it("should refuse a second spelling of the same bytes (spare base64url bits set)", async () => {
    const { envelope: e, options } = await sealed();
    // 32 bytes take 43 characters: the last one carries 2 spare bits, which must be zero.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(e.epk.slice(-1));
    const respelled = `${e.epk.slice(0, -1)}${alphabet[last | 1]}`;
    expect(await open({ ...e, epk: respelled }, options)).toEqual({
      outcome: "tampered",
      reason: "malformed",
    });
  });
});

describe("seal", () => {
  it("should use a fresh ephemeral key, IV, content key and wrapped keys for every message", async () => {
    const { aliceLaptop, bobBundles } = await cast();
    const seen = {
      epk: new Set<string>(),
      iv: new Set<string>(),
      k: new Set<string>(),
      ct: new Set<string>(),
    };
    const count = 100;
    for (let i = 0; i < count; i++) {
      const e = await seal({
        from: aliceLaptop,
        conversation: CONV,
        text: "same text",
        to: bobBundles,
        id: "same",
      });
      seen.epk.add(e.epk);
      seen.iv.add(e.iv);
      seen.ct.add(e.ct);
      for (const r of e.to) seen.k.add(r.k);
    }
    expect(seen.epk.size).toBe(count);
    expect(seen.iv.size).toBe(count);
    expect(seen.ct.size).toBe(count);
    expect(seen.k.size).toBe(count * (bobBundles.length + 1));
  });

  it("should wrap differently for two devices that publish the same X25519 key", async () => {
    // A device may sign someone else's X25519 public key into its own bundle. It cannot use it,
    // but the two wrapping keys must still differ, or one (key, IV) pair would be used twice.
    const { aliceLaptop, bobs } = await cast();
    const [desk] = bobs;
    if (!desk) throw new Error("setup");
    const copycat = await createIdentity({ user: "bob", device: "copycat" });
    const bundle = await signBundle({
      user: "bob",
      device: "copycat",
      x25519: fromBase64Url(desk.bundle.x25519) ?? new Uint8Array(),
      ed25519: fromBase64Url(copycat.bundle.ed25519) ?? new Uint8Array(),
      signingKey: copycat.signing.privateKey,
    });
    const e = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "x",
      to: [desk.bundle, bundle],
    });
    const [a, b] = ["desk", "copycat"].map((d) => e.to.find((r) => r.d === d)?.k);
    expect(a).toBeDefined();
    expect(a).not.toBe(b);
  });

  it("should pad the text so the ciphertext shows its length only to 64 bytes", async () => {
    const { aliceLaptop, bobBundles } = await cast();
    const sizes = new Set<number>();
    for (const text of ["", "a", "hello there", "x".repeat(63)]) {
      const e = await seal({ from: aliceLaptop, conversation: CONV, text, to: bobBundles });
      sizes.add(fromBase64Url(e.ct)?.length ?? 0);
    }
    expect([...sizes]).toEqual([64 + 16]);
    const e = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "x".repeat(64),
      to: bobBundles,
    });
    expect(fromBase64Url(e.ct)?.length).toBe(128 + 16);
  });

  it("should carry the largest text allowed and refuse a larger one with TEXT_TOO_LARGE", async () => {
    const { aliceLaptop, bobs, bobBundles, senders } = await cast();
    const [me] = bobs;
    if (!me) throw new Error("setup");
    const text = "é".repeat(TEXT_BYTES_MAX / 2);
    const e = await seal({ from: aliceLaptop, conversation: CONV, text, to: bobBundles });
    const opened = await open(JSON.parse(JSON.stringify(e)), { me, conversation: CONV, senders });
    expect(opened.outcome === "opened" && opened.text).toBe(text);
    const err = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: `${text}x`,
      to: bobBundles,
    }).catch((x: unknown) => x);
    expect((err as CryptoError).code).toBe("TEXT_TOO_LARGE");
  });

  it("should address a device listed twice once, and refuse one listed with two different keys", async () => {
    const { aliceLaptop, bobBundles } = await cast();
    const e = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "x",
      to: [...bobBundles, ...bobBundles],
    });
    expect(e.to.length).toBe(bobBundles.length + 1);
    const twin = await createIdentity({ user: "bob", device: "desk" });
    const err = await seal({
      from: aliceLaptop,
      conversation: CONV,
      text: "x",
      to: [...bobBundles, twin.bundle],
    }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe("DUPLICATE_DEVICE");
  });

  it("should refuse more devices than an envelope may address with TOO_MANY_DEVICES", async () => {
    const { aliceLaptop } = await cast();
    const many: VerifiedBundle[] = (
      await devices(
        "crowd",
        Array.from({ length: DEVICES_MAX }, (_, i) => `d${i}`),
      )
    ).map((d) => d.bundle);
    const err = await seal({ from: aliceLaptop, conversation: CONV, text: "x", to: many }).catch(
      (x: unknown) => x,
    );
    expect((err as CryptoError).code).toBe("TOO_MANY_DEVICES");
  });
});

/** Like seal(), but wraps a different content key for `victim`: what a malicious sender does. */
async function sealSplit(from: Identity, to: VerifiedBundle[], victim: string): Promise<Envelope> {
  const ephemeral = (await crypto.subtle.generateKey("X25519", false, [
    "deriveBits",
  ])) as CryptoKeyPair;
  const epk = new Uint8Array(await crypto.subtle.exportKey("raw", ephemeral.publicKey));
  const [honestKey, otherKey] = [newContentKey(), newContentKey()];
  const content = await contentCipher(honestKey, "encrypt");
  const sender = { u: from.user, d: from.device };
  const list = to.map((b) => ({ u: b.user, d: b.device }));
  const header = {
    conv: CONV,
    id: "split",
    at: 1,
    from: sender,
    to: list,
    epk,
    kc: content.commitment,
  };
  const aad = headerBytes(header);
  const iv = new Uint8Array(12);
  const plain = pad(new TextEncoder().encode("one text for all"));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, content.key, plain),
  );
  const keys = await Promise.all(
    to.map(async (b) => {
      const x25519 = fromBase64Url(b.x25519) ?? new Uint8Array();
      const recipient = await crypto.subtle.importKey("raw", x25519, "X25519", false, []);
      const ctx = { epk, recipientKey: x25519, user: b.user, device: b.device, aad };
      const key = b.device === victim ? otherKey : honestKey;
      return wrapContentKey(key, ephemeral.privateKey, recipient, ctx);
    }),
  );
  const unsigned: Envelope = {
    v: 1,
    conv: CONV,
    id: "split",
    at: 1,
    from: sender,
    to: list.map((r, i) => ({ ...r, k: toBase64Url(keys[i] ?? new Uint8Array()) })),
    epk: toBase64Url(epk),
    kc: toBase64Url(content.commitment),
    iv: toBase64Url(iv),
    ct: toBase64Url(ct),
    sig: "",
  };
  return signAs(from, unsigned);
}
