/**
 * The store contract, its part for the social graph (db/contact-store.ts): contacts, blocks and DM
 * policy. Each case runs against SQLite and PostgreSQL (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("contacts", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user } = c;

  describe("contacts, blocks and DM policy", () => {
    it("adds and removes a contact once, one way, listed by name", async () => {
      const me = await user("mm");
      const zed = await user("zz");
      const amy = await user("aa");
      expect(await store.addContact(me.id, zed.id, T0)).toBe(true);
      expect(await store.addContact(me.id, zed.id, T0)).toBe(false);
      expect(await store.addContact(me.id, amy.id, T0)).toBe(true);
      expect(await store.isContact(me.id, zed.id)).toBe(true);
      expect(await store.isContact(zed.id, me.id)).toBe(false);
      expect(await store.contactsOf(me.id)).toEqual([amy, zed]);
      expect(await store.contactsOf(zed.id)).toEqual([]);
      expect(await store.removeContact(me.id, zed.id)).toBe(true);
      expect(await store.removeContact(me.id, zed.id)).toBe(false);
      expect(await store.isContact(me.id, zed.id)).toBe(false);
      expect(await store.contactsOf(me.id)).toEqual([amy]);
    });

    it("blocks one way, once, and unblocks", async () => {
      const me = await user("mm");
      const zed = await user("zz");
      const amy = await user("aa");
      expect(await store.block(me.id, zed.id, T0)).toBe(true);
      expect(await store.block(me.id, zed.id, T0)).toBe(false);
      expect(await store.block(me.id, amy.id, T0)).toBe(true);
      expect(await store.hasBlocked(me.id, zed.id)).toBe(true);
      expect(await store.hasBlocked(zed.id, me.id)).toBe(false);
      expect(await store.blockedBy(me.id)).toEqual([amy, zed]);
      expect(await store.blockedBy(zed.id)).toEqual([]);
      expect(await store.unblock(me.id, zed.id)).toBe(true);
      expect(await store.unblock(me.id, zed.id)).toBe(false);
      expect(await store.hasBlocked(me.id, zed.id)).toBe(false);
      expect(await store.blockedBy(me.id)).toEqual([amy]);
    });

    it("lets everyone DM a user until they choose contacts only", async () => {
      const a = await user();
      const b2 = await user();
      expect(await store.dmPolicy(a.id)).toBe("everyone");
      await store.setDmPolicy(a.id, "contacts");
      expect(await store.dmPolicy(a.id)).toBe("contacts");
      expect(await store.dmPolicy(b2.id)).toBe("everyone");
      await store.setDmPolicy(a.id, "everyone");
      expect(await store.dmPolicy(a.id)).toBe("everyone");
    });
  });

  describe("reverse lookups (migration 004)", () => {
    it("tells who blocked a user and who has them as a contact, one way only", async () => {
      const a = await user();
      const b2 = await user();
      const c = await user();
      await store.block(b2.id, a.id, T0);
      await store.block(c.id, a.id, T0);
      await store.block(a.id, c.id, T0);
      await store.addContact(c.id, a.id, T0);
      expect((await store.blockersOf(a.id)).sort((x, y) => x - y)).toEqual([b2.id, c.id]);
      expect(await store.blockersOf(b2.id)).toEqual([]);
      expect(await store.acceptedBy(a.id)).toEqual([c.id]);
      expect(await store.acceptedBy(c.id)).toEqual([]);
    });
  });
});
