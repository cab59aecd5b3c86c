import { describe, expect, it } from "bun:test";
import { type DeviceBundle, signBundle, verifyBundle } from "../../src/crypto/bundle.ts";
import { toBase64Url } from "../../src/crypto/encoding.ts";
import { createIdentity } from "../../src/crypto/identity.ts";
import { flipBit, spreadBits } from "./fixtures.ts";

describe("verifyBundle", () => {
  it("should accept a fresh device bundle and bind its user and device ids", async () => {
    const alice = await createIdentity({ user: "alice", device: "laptop" });
    const check = await verifyBundle(JSON.parse(JSON.stringify(alice.bundle)), {
      user: "alice",
      device: "laptop",
    });
    expect(check).toEqual({ ok: true, bundle: alice.bundle });
  });

  it("should refuse a bundle with any bit of its signature flipped as bad-signature", async () => {
    const { bundle } = await createIdentity({ user: "alice" });
    for (const bit of spreadBits(64, 12)) {
      const check = await verifyBundle({ ...bundle, sig: flipBit(bundle.sig, bit) });
      expect(check).toEqual({ ok: false, reason: "bad-signature" });
    }
  });

  it("should refuse a bundle whose device id, user id or X25519 key was swapped", async () => {
    const alice = await createIdentity({ user: "alice", device: "laptop" });
    const mallory = await createIdentity({ user: "mallory" });
    const swaps: Partial<DeviceBundle>[] = [
      { device: "phone" },
      { user: "bob" },
      { x25519: mallory.bundle.x25519 },
    ];
    for (const swap of swaps) {
      expect(await verifyBundle({ ...alice.bundle, ...swap })).toEqual({
        ok: false,
        reason: "bad-signature",
      });
    }
  });

  it("should refuse a bundle claimed for another user or device", async () => {
    const { bundle } = await createIdentity({ user: "alice", device: "laptop" });
    expect(await verifyBundle(bundle, { user: "bob" })).toEqual({
      ok: false,
      reason: "wrong-user",
    });
    expect(await verifyBundle(bundle, { device: "phone" })).toEqual({
      ok: false,
      reason: "wrong-device",
    });
  });

  it("should refuse shapes that are not bundles as malformed", async () => {
    const { bundle } = await createIdentity({ user: "alice" });
    const bad: unknown[] = [
      null,
      "bundle",
      { ...bundle, v: 2 },
      { ...bundle, sig: undefined },
      { ...bundle, x25519: `${bundle.x25519}A` },
      { ...bundle, ed25519: "!".repeat(43) },
      { ...bundle, device: "" },
    ];
    for (const input of bad) {
      expect(await verifyBundle(input)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("should refuse a correctly signed low-order X25519 key as bad-key", async () => {
    const alice = await createIdentity({ user: "alice" });
    const lowOrder = new Uint8Array(32); // the all-zero point: every shared secret would be zero
    const bundle = await signBundle({
      user: "alice",
      device: "evil",
      x25519: lowOrder,
      ed25519: new Uint8Array(await crypto.subtle.exportKey("raw", alice.signing.publicKey)),
      signingKey: alice.signing.privateKey,
    });
    expect(bundle.x25519).toBe(toBase64Url(lowOrder));
    expect(await verifyBundle(bundle)).toEqual({ ok: false, reason: "bad-key" });
  });

  it("should drop fields it does not know", async () => {
    const { bundle } = await createIdentity({ user: "alice" });
    const check = await verifyBundle({ ...bundle, extra: "x" });
    expect(check.ok && Object.keys(check.bundle).sort()).toEqual(
      ["device", "ed25519", "sig", "user", "v", "x25519"].sort(),
    );
  });
});
