import { describe, expect, it } from "bun:test";
import type { VerifiedBundle } from "../../src/crypto/bundle.ts";
import { CryptoError } from "../../src/crypto/crypto-error.ts";
import { createIdentity } from "../../src/crypto/identity.ts";
import { type KeyBook, openKeyBook } from "../../src/crypto/key-book.ts";
import { type KeyBookStore, memoryKeyBookStore } from "../../src/crypto/key-book-store.ts";
import { devices } from "./fixtures.ts";

async function bobDevices(names: string[]): Promise<VerifiedBundle[]> {
  return (await devices("bob", names)).map((d) => d.bundle);
}

async function book(
  store: KeyBookStore = memoryKeyBookStore(),
  now = () => 1000,
): Promise<KeyBook> {
  const opened = await openKeyBook({ store, now });
  if (!opened.ok) throw new Error(opened.reason);
  return opened.book;
}

describe("key book classification", () => {
  it("should call a user's first set first-seen and record it unverified", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk", "phone"]);
    expect(await keys.observe("bob", bob)).toEqual({
      kind: "first-seen",
      changes: [],
      trust: "unverified",
    });
    expect(keys.devices("bob").map((b) => b.device)).toEqual(["desk", "phone"]);
    expect(keys.trust("bob")).toBe("unverified");
    expect(keys.trust("carol")).toBeUndefined();
  });

  it("should call the same set in another order unchanged", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk", "phone"]);
    await keys.observe("bob", bob);
    expect(await keys.observe("bob", [...bob].reverse())).toEqual({
      kind: "unchanged",
      changes: [],
      trust: "unverified",
    });
  });

  it("should call a new device device-added and mark the user changed", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk"]);
    await keys.observe("bob", bob);
    const [laptop] = await bobDevices(["laptop"]);
    if (!laptop) throw new Error("setup");
    expect(await keys.observe("bob", [...bob, laptop])).toEqual({
      kind: "device-added",
      changes: [{ kind: "device-added", device: "laptop" }],
      trust: "changed",
    });
  });

  it("should call a missing device device-removed and keep the trust", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk", "phone"]);
    await keys.observe("bob", bob);
    await keys.markVerified("bob", bob);
    expect(await keys.observe("bob", bob.slice(0, 1))).toEqual({
      kind: "device-removed",
      changes: [{ kind: "device-removed", device: "phone" }],
      trust: "verified",
    });
    expect(keys.devices("bob").map((b) => b.device)).toEqual(["desk"]);
  });

  it("should call new keys under a known device id key-changed, ahead of other changes", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk", "phone"]);
    await keys.observe("bob", bob);
    await keys.markVerified("bob", bob);
    const impostor = await createIdentity({ user: "bob", device: "desk" });
    const [tablet] = await bobDevices(["tablet"]);
    if (!tablet) throw new Error("setup");
    const observation = await keys.observe("bob", [impostor.bundle, tablet]);
    expect(observation.kind).toBe("key-changed");
    expect(observation.trust).toBe("changed");
    expect(observation.changes).toEqual(
      expect.arrayContaining([
        { kind: "key-changed", device: "desk" },
        { kind: "device-added", device: "tablet" },
        { kind: "device-removed", device: "phone" },
      ]),
    );
    expect(observation.changes.length).toBe(3);
    expect(keys.devices("bob").find((b) => b.device === "desk")?.x25519).toBe(
      impostor.bundle.x25519,
    );
  });

  it("should refuse bundles of another user with USER_MISMATCH", async () => {
    const keys = await book();
    const carol = (await devices("carol", ["one"])).map((d) => d.bundle);
    const err = await keys.observe("bob", carol).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe("USER_MISMATCH");
    expect(keys.trust("bob")).toBeUndefined();
  });
});

describe("key book trust", () => {
  it("should go verified, then changed on a new key, then unverified once acknowledged", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk"]);
    await keys.observe("bob", bob);
    expect(await keys.markVerified("bob", bob)).toBe("updated");
    expect(keys.trust("bob")).toBe("verified");
    const reinstalled = [(await createIdentity({ user: "bob", device: "desk" })).bundle];
    await keys.observe("bob", reinstalled);
    expect(keys.trust("bob")).toBe("changed");
    expect(await keys.acknowledge("bob", reinstalled)).toBe("updated");
    expect(keys.trust("bob")).toBe("unverified");
  });

  it("should not verify keys other than the ones the person compared", async () => {
    const keys = await book();
    const shown = await bobDevices(["desk"]);
    await keys.observe("bob", shown);
    const swapped = [(await createIdentity({ user: "bob", device: "desk" })).bundle];
    await keys.observe("bob", swapped); // arrives while the comparison dialog is open
    expect(await keys.markVerified("bob", shown)).toBe("stale");
    expect(await keys.acknowledge("bob", shown)).toBe("stale");
    expect(await keys.markVerified("carol", shown)).toBe("stale");
    expect(keys.trust("bob")).toBe("changed");
  });

  it("should mark an unverified user changed when a device is added", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk"]);
    await keys.observe("bob", bob);
    await keys.observe("bob", [...bob, ...(await bobDevices(["laptop"]))]);
    expect(keys.trust("bob")).toBe("changed");
  });
});

describe("key book storage", () => {
  it("should save every change and load it back, through JSON", async () => {
    const store = memoryKeyBookStore();
    let clock = 5000;
    const first = await book(store, () => clock);
    const bob = await bobDevices(["desk", "phone"]);
    await first.observe("bob", bob);
    clock = 6000;
    await first.markVerified("bob", bob);
    expect(store.saved()).toEqual(first.snapshot());

    const second = await book(store);
    expect(second.trust("bob")).toBe("verified");
    expect(second.devices("bob")).toEqual(first.devices("bob"));
    expect(second.snapshot().users.find((e) => e.user === "bob")?.firstSeenAt).toBe(5000);
    expect(await second.observe("bob", bob)).toMatchObject({ kind: "unchanged" });
  });

  it("should refuse a store holding something that is not a key book, rather than start over", async () => {
    for (const junk of [{}, { v: 1, users: [{ user: "bob", devices: "x" }] }, "text", 3]) {
      expect(await openKeyBook({ store: memoryKeyBookStore(junk) })).toEqual({
        ok: false,
        reason: "corrupt",
      });
    }
  });

  it("should keep its state when a save fails, and keep working afterwards", async () => {
    let failing = true;
    const inner = memoryKeyBookStore();
    const store: KeyBookStore = {
      load: () => inner.load(),
      save: (s) => (failing ? Promise.reject(new Error("disk full")) : inner.save(s)),
    };
    const keys = await book(store);
    const bob = await bobDevices(["desk"]);
    expect(keys.observe("bob", bob)).rejects.toThrow("disk full");
    expect(keys.trust("bob")).toBeUndefined();
    failing = false;
    expect(await keys.observe("bob", bob)).toMatchObject({ kind: "first-seen" });
  });

  it("should build on what another holder of a shared store saved, never overwrite it", async () => {
    // Two tabs of one browser: one store, a lock between them, each with its own key book.
    const shared = memoryKeyBookStore();
    let lock: Promise<unknown> = Promise.resolve();
    const store: KeyBookStore = {
      load: () => shared.load(),
      save: (s) => shared.save(s),
      exclusive<T>(step: () => Promise<T>): Promise<T> {
        const run = lock.then(step);
        lock = run.catch(() => undefined);
        return run;
      },
    };
    const bob = await bobDevices(["desk"]);
    const carol = (await devices("carol", ["laptop"])).map((d) => d.bundle);
    const one = await book(store);
    await one.observe("bob", bob);
    const two = await book(store);
    const moreBob = await bobDevices(["desk", "phone"]);
    await one.observe("bob", moreBob);
    await two.observe("bob", moreBob);
    // Tab one accepts bob's new device; tab two, which still held "changed", then meets carol.
    expect(await one.acknowledge("bob", moreBob)).toBe("updated");
    await two.observe("carol", carol);
    const opened = await book(store);
    expect(opened.trust("bob")).toBe("unverified");
    expect(opened.trust("carol")).toBe("unverified");
  });

  it("should apply concurrent observations one after the other", async () => {
    const keys = await book();
    const bob = await bobDevices(["desk"]);
    const more = [...bob, ...(await bobDevices(["laptop"]))];
    const [a, b] = await Promise.all([keys.observe("bob", bob), keys.observe("bob", more)]);
    expect(a.kind).toBe("first-seen");
    expect(b.kind).toBe("device-added");
  });

  it("should treat a user id such as __proto__ as a plain name", async () => {
    const keys = await book();
    const odd = (await devices("__proto__", ["d"])).map((d) => d.bundle);
    expect(keys.trust("__proto__")).toBeUndefined();
    expect(await keys.observe("__proto__", odd)).toMatchObject({ kind: "first-seen" });
    expect(keys.devices("__proto__").length).toBe(1);
    const reloaded = await book(memoryKeyBookStore(keys.snapshot()));
    expect(reloaded.devices("__proto__").length).toBe(1);
  });
});
