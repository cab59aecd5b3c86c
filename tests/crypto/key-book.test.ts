import { describe, expect, it } from "bun:test";
import {
  createAccountKey,
  signDeviceList,
  type VerifiedDeviceList,
} from "../../src/crypto/device-list.ts";
import { createIdentity, type Identity } from "../../src/crypto/identity.ts";
import { type KeyBook, openKeyBook } from "../../src/crypto/key-book.ts";
import { type KeyBookStore, memoryKeyBookStore } from "../../src/crypto/key-book-store.ts";
import { devices } from "./fixtures.ts";

async function book(
  store: KeyBookStore = memoryKeyBookStore(),
  now = () => 1000,
): Promise<KeyBook> {
  const opened = await openKeyBook({ store, now });
  if (!opened.ok) throw new Error(opened.reason);
  return opened.book;
}

/** One store shared by several key books (tabs of one browser), with a lock between them. */
function lockedStore(): KeyBookStore {
  const shared = memoryKeyBookStore();
  let lock: Promise<unknown> = Promise.resolve();
  return {
    load: () => shared.load(),
    save: (s) => shared.save(s),
    exclusive<T>(step: () => Promise<T>): Promise<T> {
      const run = lock.then(step);
      lock = run.catch(() => undefined);
      return run;
    },
  };
}

/** Bob's account: an identity key and the devices it signs lists of. */
async function account(user = "bob") {
  const key = await createAccountKey();
  const list = (version: number, ds: Identity[]): Promise<VerifiedDeviceList> =>
    signDeviceList({ user, version, account: key, devices: ds.map((d) => d.bundle) });
  return { key, list };
}

describe("key book: identity key and signed lists", () => {
  it("should pin a user's identity key on first use and accept exactly the listed devices", async () => {
    const keys = await book();
    const bob = await account();
    const [desk, phone] = await devices("bob", ["desk", "phone"]);
    const v1 = await bob.list(1, [desk as Identity, phone as Identity]);
    expect(await keys.observe("bob", v1)).toEqual({
      kind: "first-seen",
      changes: [],
      trust: "unverified",
    });
    expect(keys.devices("bob").map((b) => b.device)).toEqual(["desk", "phone"]);
    expect(keys.identity("bob")).toEqual({
      key: v1.key,
      version: 1,
      pending: undefined,
      alarm: undefined,
    });
    expect(keys.trust("carol")).toBeUndefined();
    expect(await keys.observe("carol", undefined)).toMatchObject({ kind: "no-list" });
    expect(keys.devices("carol")).toEqual([]);
  });

  it("should take a newer list under the same key as a device change that keeps the trust", async () => {
    const keys = await book();
    const bob = await account();
    const [desk, laptop] = await devices("bob", ["desk", "laptop"]);
    const v1 = await bob.list(1, [desk as Identity]);
    await keys.observe("bob", v1);
    expect(await keys.markVerified("bob", v1.key)).toBe("updated");
    expect(
      await keys.observe("bob", await bob.list(2, [desk as Identity, laptop as Identity])),
    ).toEqual({
      kind: "device-added",
      changes: [{ kind: "device-added", device: "laptop" }],
      trust: "verified",
    });
    expect(await keys.observe("bob", await bob.list(3, [laptop as Identity]))).toMatchObject({
      kind: "device-removed",
      trust: "verified",
    });
    expect(keys.devices("bob").map((b) => b.device)).toEqual(["laptop"]);
  });

  it("should call an older version a rollback and another list at the same version a fork, keeping the newer", async () => {
    const keys = await book();
    const bob = await account();
    const [desk, laptop] = await devices("bob", ["desk", "laptop"]);
    const v1 = await bob.list(1, [desk as Identity]);
    const v2 = await bob.list(2, [desk as Identity, laptop as Identity]);
    await keys.observe("bob", v1);
    await keys.observe("bob", v2);
    expect(await keys.observe("bob", v1)).toMatchObject({ kind: "rollback" });
    expect(keys.identity("bob")?.alarm).toBe("rollback");
    expect(await keys.observe("bob", await bob.list(2, [desk as Identity]))).toMatchObject({
      kind: "fork",
    });
    expect(keys.identity("bob")?.alarm).toBe("fork");
    expect(keys.devices("bob").map((b) => b.device)).toEqual(["desk", "laptop"]);
    expect(await keys.observe("bob", v2)).toMatchObject({ kind: "unchanged" });
    // Acknowledging the user's (unchanged) key clears the alarm.
    expect(await keys.acknowledge("bob", v2.key)).toBe("updated");
    expect(keys.identity("bob")?.alarm).toBeUndefined();
  });

  it("should hold a list signed by another key as pending, mark the user changed, and adopt it only when accepted", async () => {
    const keys = await book();
    const bob = await account();
    const mallory = await account();
    const [desk] = await devices("bob", ["desk"]);
    const [rogue] = await devices("bob", ["rogue"]);
    const v1 = await bob.list(1, [desk as Identity]);
    await keys.observe("bob", v1);
    await keys.markVerified("bob", v1.key);
    const forged = await mallory.list(50, [rogue as Identity]);
    expect(await keys.observe("bob", forged)).toEqual({
      kind: "identity-changed",
      changes: [],
      trust: "changed",
    });
    // The pinned list still decides whose words are bob's.
    expect(keys.devices("bob").map((b) => b.device)).toEqual(["desk"]);
    expect(keys.identity("bob")).toMatchObject({ key: v1.key, pending: forged.key });
    // A key swapped in while the dialog was open is never approved by it.
    expect(await keys.acknowledge("bob", v1.key)).toBe("stale");
    expect(await keys.markVerified("carol", forged.key)).toBe("stale");
    expect(await keys.acknowledge("bob", forged.key)).toBe("updated");
    expect(keys.trust("bob")).toBe("unverified");
    expect(keys.devices("bob").map((b) => b.device)).toEqual(["rogue"]);
    expect(keys.identity("bob")).toMatchObject({
      key: forged.key,
      version: 50,
      pending: undefined,
    });
  });
});

describe("key book storage", () => {
  it("should save every change and load it back, through JSON", async () => {
    const store = memoryKeyBookStore();
    let clock = 5000;
    const first = await book(store, () => clock);
    const bob = await account();
    const v1 = await bob.list(1, await devices("bob", ["desk", "phone"]));
    await first.observe("bob", v1);
    clock = 6000;
    await first.markVerified("bob", v1.key);
    expect(store.saved()).toEqual(first.snapshot());

    const second = await book(store);
    expect(second.trust("bob")).toBe("verified");
    expect(second.devices("bob")).toEqual(first.devices("bob"));
    expect(second.snapshot().users.find((e) => e.user === "bob")?.firstSeenAt).toBe(5000);
    expect(await second.observe("bob", v1)).toMatchObject({ kind: "unchanged" });
  });

  it("should read a scheme-1 key book without trusting anything new, and ask again for verification", async () => {
    const desk = (await createIdentity({ user: "bob", device: "desk" })).bundle;
    const v1 = {
      v: 1,
      users: [{ user: "bob", devices: [desk], trust: "verified", firstSeenAt: 1, changedAt: 1 }],
    };
    const keys = await book(memoryKeyBookStore(v1));
    expect(keys.trust("bob")).toBe("unverified");
    expect(keys.devices("bob")).toEqual([]);
  });

  it("should refuse a store holding something that is not a key book, rather than start over", async () => {
    for (const junk of [{}, { v: 2, users: [{ user: "bob", devices: "x" }] }, "text", 3]) {
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
    const v1 = await (await account()).list(1, await devices("bob", ["desk"]));
    expect(keys.observe("bob", v1)).rejects.toThrow("disk full");
    expect(keys.trust("bob")).toBeUndefined();
    failing = false;
    expect(await keys.observe("bob", v1)).toMatchObject({ kind: "first-seen" });
  });

  it("should build on what another holder of a shared store saved, never overwrite it", async () => {
    // Two tabs of one browser: one store, a lock between them, each with its own key book.
    const store = lockedStore();
    const bob = await account();
    const [desk, phone] = await devices("bob", ["desk", "phone"]);
    const carol = await (await account("carol")).list(1, await devices("carol", ["laptop"]));
    const one = await book(store);
    await one.observe("bob", await bob.list(1, [desk as Identity]));
    const two = await book(store);
    // Bob resets his account key: both tabs see it and hold bob as "changed".
    const reset = await (await account()).list(1, [desk as Identity, phone as Identity]);
    await one.observe("bob", reset);
    await two.observe("bob", reset);
    // Tab one accepts bob's new key; tab two, which still held "changed", then meets carol.
    expect(await one.acknowledge("bob", reset.key)).toBe("updated");
    await two.observe("carol", carol);
    const opened = await book(store);
    expect(opened.trust("bob")).toBe("unverified");
    expect(opened.trust("carol")).toBe("unverified");
  });

  it("should keep the replay memory of every tab sharing a store, so a replay seen in one is flagged in another", async () => {
    const store = lockedStore();
    const one = await book(store);
    const two = await book(store);
    expect(await one.sight("dm:1", "bob/desk/m1", 5)).toEqual({ kind: "new" });
    expect(await two.sight("dm:1", "bob/desk/m2", 6)).toEqual({ kind: "new" });
    // Tab two never opened m1 itself: the sighting tab one saved is what flags it.
    expect(await two.sight("dm:1", "bob/desk/m1", 9)).toEqual({ kind: "replay", firstSeq: 5 });
    // Tab one has not shown m2 yet: "same" to the store, news to tab one, shown once there.
    expect(await one.sight("dm:1", "bob/desk/m2", 6)).toEqual({ kind: "same", elsewhere: true });
    expect(await one.sight("dm:1", "bob/desk/m2", 6)).toEqual({ kind: "same" });
    expect(await one.sight("dm:1", "bob/desk/m1", 5)).toEqual({ kind: "same" });
    const opened = await book(store);
    expect(await opened.sight("dm:1", "bob/desk/m1", 5)).toEqual({ kind: "same" });
    expect(await opened.sight("dm:1", "bob/desk/m2", 6)).toEqual({ kind: "same" });
  });

  it("should apply concurrent observations one after the other", async () => {
    const keys = await book();
    const bob = await account();
    const [desk, laptop] = await devices("bob", ["desk", "laptop"]);
    const [a, b] = await Promise.all([
      keys.observe("bob", await bob.list(1, [desk as Identity])),
      keys.observe("bob", await bob.list(2, [desk as Identity, laptop as Identity])),
    ]);
    expect(a.kind).toBe("first-seen");
    expect(b.kind).toBe("device-added");
  });

  it("should treat a user id such as __proto__ as a plain name", async () => {
    const keys = await book();
    const odd = await (await account("__proto__")).list(1, await devices("__proto__", ["d"]));
    expect(keys.trust("__proto__")).toBeUndefined();
    expect(await keys.observe("__proto__", odd)).toMatchObject({ kind: "first-seen" });
    expect(keys.devices("__proto__").length).toBe(1);
    const reloaded = await book(memoryKeyBookStore(keys.snapshot()));
    expect(reloaded.devices("__proto__").length).toBe(1);
  });
});

describe("key book replay memory", () => {
  it("should call an envelope new once, the same at its own seq, and a replay at any other", async () => {
    const store = memoryKeyBookStore();
    const keys = await book(store);
    expect(await keys.sight("dm:1", "bob/desk/m1", 5)).toEqual({ kind: "new" });
    expect(await keys.sight("dm:1", "bob/desk/m1", 5)).toEqual({ kind: "same" });
    expect(await keys.sight("dm:1", "bob/desk/m1", 9)).toEqual({ kind: "replay", firstSeq: 5 });
    // Per conversation: the same id elsewhere is another message.
    expect(await keys.sight("dm:2", "bob/desk/m1", 9)).toEqual({ kind: "new" });
    // It lasts: a key book opened again from the store remembers.
    const again = await book(store);
    expect(await again.sight("dm:1", "bob/desk/m1", 12)).toEqual({ kind: "replay", firstSeq: 5 });
  });

  it("should keep the newest 2,000 envelopes of a conversation", async () => {
    const keys = await book();
    for (let i = 0; i < 2_001; i++) await keys.sight("dm:1", `bob/desk/${i}`, i);
    const conv = keys.snapshot().replays.find((r) => r.conv === "dm:1");
    expect(conv?.seen.length).toBe(2_000);
    expect(conv?.seen[0]?.[0]).toBe("bob/desk/1");
    expect(await keys.sight("dm:1", "bob/desk/2000", 1)).toEqual({
      kind: "replay",
      firstSeq: 2000,
    });
  });
});
