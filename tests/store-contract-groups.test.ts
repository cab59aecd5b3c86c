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
  });
});
