import { describe, expect, it } from "bun:test";
import { CryptoError } from "../../src/crypto/crypto-error.ts";
import { createIdentity } from "../../src/crypto/identity.ts";
import { safetyNumber } from "../../src/crypto/safety-number.ts";
import { devices } from "./fixtures.ts";

async function people() {
  const alice = (await devices("alice", ["laptop", "phone"])).map((d) => d.bundle);
  const bob = (await devices("bob", ["desk", "tablet"])).map((d) => d.bundle);
  return { alice, bob };
}

describe("safetyNumber", () => {
  it("should be 60 digits in 12 groups of 5", async () => {
    const { alice, bob } = await people();
    expect(await safetyNumber("alice", alice, "bob", bob)).toMatch(/^\d{5}( \d{5}){11}$/);
  });

  it("should be the same whichever side computes it and in whatever order the devices come", async () => {
    const { alice, bob } = await people();
    const onAlicesSide = await safetyNumber("alice", alice, "bob", bob);
    const onBobsSide = await safetyNumber("bob", [...bob].reverse(), "alice", [...alice].reverse());
    expect(onBobsSide).toBe(onAlicesSide);
  });

  it("should change when any device key changes, a device is added or one is removed", async () => {
    const { alice, bob } = await people();
    const before = await safetyNumber("alice", alice, "bob", bob);
    const reinstalled = await createIdentity({ user: "bob", device: "tablet" });
    const added = await createIdentity({ user: "alice", device: "desktop" });
    const variants = [
      await safetyNumber(
        "alice",
        alice,
        "bob",
        [bob[0], reinstalled.bundle].filter((b) => !!b),
      ),
      await safetyNumber("alice", [...alice, added.bundle], "bob", bob),
      await safetyNumber("alice", alice.slice(1), "bob", bob),
    ];
    for (const after of variants) expect(after).not.toBe(before);
    expect(new Set(variants).size).toBe(variants.length);
  });

  it("should differ between different pairs of people", async () => {
    const { alice, bob } = await people();
    const carol = (await devices("carol", ["one"])).map((d) => d.bundle);
    expect(await safetyNumber("alice", alice, "bob", bob)).not.toBe(
      await safetyNumber("alice", alice, "carol", carol),
    );
  });

  it("should refuse a bundle of another user with USER_MISMATCH", async () => {
    const { alice, bob } = await people();
    const err = await safetyNumber("alice", [...alice, ...bob], "bob", bob).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe("USER_MISMATCH");
  });
});
