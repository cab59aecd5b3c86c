/**
 * The store contract, its part for devices (db/device-store.ts): device bundles, signed device
 * lists and key backups. Each case runs against SQLite and PostgreSQL
 * (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("devices", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user } = c;

  describe("devices", () => {
    it("replaces a device's bundle without counting it twice, and refuses one past the max", async () => {
      const a = await user();
      expect(await store.putDevice(a.id, "d1", '{"k":1}', T0, 2)).toBe("ok");
      expect(await store.putDevice(a.id, "d1", '{"k":2}', T0 + 1, 2)).toBe("ok");
      expect(await store.putDevice(a.id, "d2", '{"k":3}', T0 + 2, 2)).toBe("ok");
      expect(await store.putDevice(a.id, "d3", '{"k":4}', T0 + 3, 2)).toBe("too-many");
      // At the max, a known device may still replace its bundle.
      expect(await store.putDevice(a.id, "d2", '{"k":5}', T0 + 4, 2)).toBe("ok");
      expect(await store.devicesOf([a.id])).toEqual(new Map([[a.id, ['{"k":2}', '{"k":5}']]]));
    });

    it("lists every bundle of each user asked for, oldest device first", async () => {
      const a = await user();
      const b2 = await user();
      const none = await user();
      await store.putDevice(a.id, "zeta", '{"a":"zeta"}', T0, 5);
      await store.putDevice(a.id, "alpha", '{"a":"alpha"}', T0 + 1, 5);
      await store.putDevice(b2.id, "one", '{"b":"one"}', T0, 5);
      const found = await store.devicesOf([b2.id, none.id, a.id]);
      expect([...found.entries()]).toEqual([
        [b2.id, ['{"b":"one"}']],
        [none.id, []],
        [a.id, ['{"a":"zeta"}', '{"a":"alpha"}']],
      ]);
      expect(await store.devicesOf([])).toEqual(new Map());
    });

    it("keeps a user's newest device list and refuses an older version or another key", async () => {
      const a = await user();
      const b2 = await user();
      expect(await store.putDeviceList(a.id, "K1", 2, '{"l":2}', T0, false)).toBe("ok");
      expect(await store.putDeviceList(a.id, "K1", 2, '{"l":"fork"}', T0, false)).toBe("stale");
      expect(await store.putDeviceList(a.id, "K1", 1, '{"l":1}', T0, false)).toBe("stale");
      expect(await store.putDeviceList(a.id, "K2", 9, '{"l":"k2"}', T0, false)).toBe("key-changed");
      expect(await store.putDeviceList(a.id, "K1", 3, '{"l":3}', T0 + 1, false)).toBe("ok");
      expect(await store.deviceListsOf([a.id, b2.id])).toEqual(new Map([[a.id, '{"l":3}']]));
      // A reset replaces the key at any version; the new key's versions count from there.
      expect(await store.putDeviceList(a.id, "K2", 1, '{"l":"k2"}', T0 + 2, true)).toBe("ok");
      expect(await store.putDeviceList(a.id, "K2", 1, '{"l":"again"}', T0, false)).toBe("stale");
      expect(await store.deviceListsOf([a.id])).toEqual(new Map([[a.id, '{"l":"k2"}']]));
      expect(await store.deviceListsOf([])).toEqual(new Map());
    });

    it("keeps a key backup's info and items, paged, bounded, and dropped when the info is replaced", async () => {
      const a = await user();
      const b2 = await user();
      expect(await store.keyBackup(a.id)).toBeUndefined();
      expect(await store.addBackupItem(a.id, "i0", T0, 3)).toBe("no-backup");
      await store.putKeyBackup(a.id, '{"k":1}', T0);
      expect(await store.keyBackup(a.id)).toBe('{"k":1}');
      for (const item of ["i1", "i2", "i3"]) {
        expect(await store.addBackupItem(a.id, item, T0, 3)).toBe("ok");
      }
      expect(await store.addBackupItem(a.id, "i4", T0, 3)).toBe("full");
      const first = await store.backupItems(a.id, 0, 2);
      expect(first.map((r) => r.item)).toEqual(["i1", "i2"]);
      const rest = await store.backupItems(a.id, first[1]?.id ?? 0, 2);
      expect(rest.map((r) => r.item)).toEqual(["i3"]);
      expect(await store.backupItems(b2.id, 0, 10)).toEqual([]);
      await store.putKeyBackup(a.id, '{"k":2}', T0 + 1);
      expect(await store.keyBackup(a.id)).toBe('{"k":2}');
      expect(await store.backupItems(a.id, 0, 10)).toEqual([]);
    });
  });
});
