/**
 * The store contract, its part for appearance settings (db/settings-store.ts). Each case runs
 * against SQLite and PostgreSQL (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("appearance settings", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user } = c;

  describe("appearance settings (migration 008)", () => {
    it("has none for a new user, then keeps the last document stored per user", async () => {
      const me = await user("st");
      const other = await user("so");
      expect(await store.userSettings(me.id)).toBeUndefined();
      await store.putUserSettings(me.id, '{"theme":"dark"}', T0);
      await store.putUserSettings(me.id, '{"theme":"high-contrast"}', T0 + 1);
      expect(await store.userSettings(me.id)).toBe('{"theme":"high-contrast"}');
      expect(await store.userSettings(other.id)).toBeUndefined();
    });
  });
});
