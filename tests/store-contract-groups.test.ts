/**
 * The store contract, its part for encrypted groups (db/group-store.ts). Each case runs against
 * SQLite and PostgreSQL (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("encrypted groups", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });

  describe("groups (migration 012)", () => {
    it("reads a marked private room as kind group, everywhere a room is read", async () => {
      const alice = await c.user("ga");
      const plain = await c.room(alice, "gp");
      const made = await store.createRoom(`g${plain.id}x`, "", alice.id, T0, "private");
      if (made === "taken") throw new Error("taken");
      expect(made.kind).toBe("room");
      await store.markGroup(made.id);
      await store.markGroup(made.id); // again: nothing changes
      expect((await store.findRoom(made.id))?.kind).toBe("group");
      expect((await store.joinedRooms(alice.id)).find((r) => r.id === made.id)?.kind).toBe("group");
      expect((await store.findRoom(plain.id))?.kind).toBe("room");
    });

    it("lists a group's membership events in log order, and nothing else of its log", async () => {
      const alice = await c.user("gv");
      const room = await c.room(alice, "gv");
      await store.markGroup(room.id);
      const membership = (cid: string, body: string) => ({
        ...c.req(room.id, alice, cid, body),
        event: { kind: "membership" as const },
      });
      const stored = await store.append([
        membership("m1", '{"version":1}'),
        c.sealedReq(room.id, alice, "s1"),
        membership("m2", '{"version":2}'),
      ]);
      expect(stored.every((r) => r.ok)).toBe(true);
      const versions = await store.groupVersions(room.id);
      expect(versions.map((v) => v.body)).toEqual(['{"version":1}', '{"version":2}']);
      expect(versions.map((v) => v.seq)).toEqual([1, 3]);
      expect(versions[0]?.from).toEqual({ id: alice.id, name: alice.name });
      expect(await store.groupVersions(room.id + 1000)).toEqual([]);
    });

    it("stores a version with its joins, roles and leaves in one step; a refused or stale one changes nothing", async () => {
      const [alice, bob, carol, dave] = [
        await c.user("gs"),
        await c.user("gs"),
        await c.user("gs"),
        await c.user("gs"),
      ];
      const room = await c.room(alice, "gs");
      await store.markGroup(room.id);
      const version = (by: typeof alice, cid: string, body: string) => ({
        ...c.req(room.id, by, cid, body),
        event: { kind: "membership" as const },
      });
      const roles = async () =>
        Object.fromEntries(
          [...(await store.standings(room.id))].map(([id, s]) => [id, s.role] as const),
        );

      const first = await store.storeGroupVersion({
        event: version(alice, "v1", '{"version":1}'),
        after: 0,
        add: [bob.id, carol.id],
        remove: [],
        admins: [alice.id],
      });
      expect(first).toMatchObject({ ok: true, event: { kind: "membership", seq: 1 } });
      expect(await roles()).toEqual({
        [alice.id]: "owner",
        [bob.id]: "member",
        [carol.id]: "member",
      });

      // Alice hands the group to bob and drops carol: the demoted creator is a member now.
      const second = await store.storeGroupVersion({
        event: version(alice, "v2", '{"version":2}'),
        after: 1,
        add: [],
        remove: [carol.id],
        admins: [bob.id],
      });
      expect(second).toMatchObject({ ok: true, event: { seq: 2 } });
      expect(await roles()).toEqual({ [alice.id]: "member", [bob.id]: "owner" });
      expect((await store.findRoom(room.id))?.members).toBe(2);

      // Carol, no longer a member, cannot store one: nothing of it is kept, dave is not added.
      const refused = await store.storeGroupVersion({
        event: version(carol, "v3", '{"version":3}'),
        after: 2,
        add: [dave.id],
        remove: [alice.id],
        admins: [carol.id],
      });
      expect(refused).toEqual({ ok: false, code: "NOT_MEMBER" });
      expect(await roles()).toEqual({ [alice.id]: "member", [bob.id]: "owner" });
      expect((await store.groupVersions(room.id)).map((v) => v.seq)).toEqual([1, 2]);

      // One checked against an older newest version (another node stored one since) is stale.
      const stale = await store.storeGroupVersion({
        event: version(bob, "v3b", '{"version":2}'),
        after: 1,
        add: [dave.id],
        remove: [],
        admins: [dave.id],
      });
      expect(stale).toBe("stale");
      expect(await roles()).toEqual({ [alice.id]: "member", [bob.id]: "owner" });

      // A version with no admins left (the last one left): every member is a plain member.
      await store.storeGroupVersion({
        event: version(bob, "v4", '{"version":3}'),
        after: 2,
        add: [],
        remove: [bob.id],
        admins: [],
      });
      expect(await roles()).toEqual({ [alice.id]: "member" });
    });
  });
});
