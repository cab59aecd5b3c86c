/**
 * The store contract, its part for rooms and membership (db/room-store.ts): rooms, members, DM
 * rooms and read markers. Each case runs against SQLite and PostgreSQL
 * (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { type DmRecord, type Store, UNREAD_COUNT_MAX } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("rooms and membership", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user, room, req, sealedReq } = c;

  describe("rooms", () => {
    it("creates a room with its creator as the only member and an empty head", async () => {
      const u = await user();
      const name = fresh("Lobby");
      const r = await store.createRoom(name, "hello", u.id, T0 + 7);
      expect(r).toEqual({
        id: expect.any(Number),
        kind: "room",
        visibility: "public",
        name,
        topic: "hello",
        createdAt: T0 + 7,
        head: 0,
        members: 1,
        archivedAt: null,
      });
      if (r === "taken") return;
      expect(await store.isMember(r.id, u.id)).toBe(true);
      expect(await store.membersOf(r.id)).toEqual([u]);
    });

    it("refuses a room name that differs only in case as taken, adding nobody", async () => {
      const a = await user();
      const b2 = await user();
      const name = fresh("Dup");
      const first = await store.createRoom(name, "", a.id, T0);
      expect(first).not.toBe("taken");
      expect(await store.createRoom(name.toUpperCase(), "", b2.id, T0)).toBe("taken");
      expect(await store.roomsOf(b2.id)).toEqual([]);
      expect((await store.findRoomByName(name))?.members).toBe(1);
    });

    it("finds a room by id and by name in any case, and nothing unknown", async () => {
      const u = await user();
      const r = await room(u, "Find");
      expect(await store.findRoom(r.id)).toEqual(r);
      expect(await store.findRoomByName(r.name.toLowerCase())).toEqual(r);
      expect(await store.findRoomByName(r.name.toUpperCase())).toEqual(r);
      expect(await store.findRoom(99_999_999)).toBeUndefined();
      expect(await store.findRoomByName(fresh("none"))).toBeUndefined();
    });

    it("lists rooms ordered by name key by code point, with member counts", async () => {
      const u = await user();
      const v = await user();
      const tag = fresh("L").toLowerCase();
      // "-" < "0" < "_" < "a" by code point; a locale collation would order them otherwise.
      const names = [`${tag}_b`, `${tag}-b`, `${tag}Ab`, `${tag}0b`];
      for (const n of names) await store.createRoom(n, "", u.id, T0);
      const joined = await store.findRoomByName(`${tag}0b`);
      if (joined) await store.addMember(joined.id, v.id, T0);
      const listed = (await store.listRooms()).filter((r) => r.name.startsWith(tag));
      expect(listed.map((r) => r.name)).toEqual([`${tag}-b`, `${tag}0b`, `${tag}_b`, `${tag}Ab`]);
      expect(listed.map((r) => r.members)).toEqual([1, 2, 1, 1]);
    });
  });

  describe("membership", () => {
    it("adds and removes members once, and reports rooms and members", async () => {
      const owner = await user("zz");
      const guest = await user("aa");
      const r = await room(owner);
      expect(await store.isMember(r.id, guest.id)).toBe(false);
      expect(await store.addMember(r.id, guest.id, T0)).toBe(true);
      expect(await store.addMember(r.id, guest.id, T0)).toBe(false);
      expect(await store.isMember(r.id, guest.id)).toBe(true);
      expect(await store.roomsOf(guest.id)).toEqual([r.id]);
      expect(await store.membersOf(r.id)).toEqual([guest, owner]);
      expect((await store.findRoom(r.id))?.members).toBe(2);
      expect(await store.removeMember(r.id, guest.id)).toBe(true);
      expect(await store.removeMember(r.id, guest.id)).toBe(false);
      expect(await store.isMember(r.id, guest.id)).toBe(false);
      expect(await store.roomsOf(guest.id)).toEqual([]);
    });
  });

  describe("batch lookups", () => {
    it("reads the heads of many rooms at once, leaving out unknown ids", async () => {
      const u = await user();
      const r1 = await room(u);
      const r2 = await room(u);
      await store.append([req(r1.id, u, "h1"), req(r1.id, u, "h2"), req(r2.id, u, "h3")]);
      const heads = await store.roomHeads([r1.id, r2.id, 987_654_321]);
      expect([...heads.entries()].sort((x, y) => x[0] - y[0])).toEqual([
        [r1.id, 2],
        [r2.id, 1],
      ]);
      expect((await store.roomHeads([])).size).toBe(0);
    });

    it("finds many users with their rooms at once", async () => {
      const a = await user();
      const b = await user();
      const r1 = await room(a);
      const r2 = await room(a);
      await store.addMember(r2.id, b.id, T0);
      const found = await store.usersWithRooms([a.id, b.id, 987_654_321]);
      expect(found.sort((x, y) => x.user.id - y.user.id)).toEqual([
        { user: a, rooms: [r1.id, r2.id].sort((x, y) => x - y) },
        { user: b, rooms: [r2.id] },
      ]);
    });
  });

  describe("room kinds", () => {
    it("finds and lists only public rooms by name, never a DM", async () => {
      const a = await user();
      const b2 = await user();
      const r = await room(a, "Pub");
      const dm = await store.openDm(a.id, b2.id, T0);
      expect(r.kind).toBe("room");
      expect(dm.kind).toBe("dm");
      expect((await store.findRoom(dm.id))?.kind).toBe("dm");
      expect(await store.findRoomByName(dm.name)).toBeUndefined();
      expect(await store.findRoomByName(r.name)).toEqual(r);
      const listed = (await store.listRooms()).map((x) => x.id);
      expect(listed).toContain(r.id);
      expect(listed).not.toContain(dm.id);
    });
  });

  describe("direct messages", () => {
    it("creates a DM once, both as members, and finds the same room from either side", async () => {
      const a = await user("aa");
      const b2 = await user("bb");
      const first = await store.openDm(b2.id, a.id, T0 + 3);
      expect(first).toEqual({
        id: expect.any(Number),
        kind: "dm",
        visibility: "private",
        name: expect.any(String),
        topic: "",
        createdAt: T0 + 3,
        head: 0,
        members: 2,
        archivedAt: null,
        peer: a,
        created: true,
      });
      const again = await store.openDm(a.id, b2.id, T0 + 9);
      expect(again).toEqual({ ...first, peer: b2, created: false });
      expect(await store.openDm(b2.id, a.id, T0 + 9)).toEqual({ ...first, created: false });
      expect(await store.membersOf(first.id)).toEqual([a, b2]);
      expect(await store.roomsOf(a.id)).toEqual([first.id]);
    });

    it("tells the two users of a DM, lower id first, and nothing for a public room", async () => {
      const a = await user();
      const b2 = await user();
      const dm = await store.openDm(b2.id, a.id, T0);
      expect(await store.dmUsers(dm.id)).toEqual([a.id, b2.id]);
      expect(await store.dmUsers((await room(a)).id)).toBeUndefined();
      expect(await store.dmUsers(99_999_999)).toBeUndefined();
    });

    it("lists a user's DMs with the peer, the most recently active first", async () => {
      const me = await user();
      const [p1, p2, p3] = [await user(), await user(), await user()];
      const quiet = await store.openDm(me.id, p1.id, T0);
      const busy = await store.openDm(p2.id, me.id, T0);
      const some = await store.openDm(me.id, p3.id, T0);
      await store.append([sealedReq(busy.id, p2, "l1"), sealedReq(busy.id, me, "l2")]);
      await store.append([sealedReq(some.id, me, "l3")]);
      await room(me);
      const strip = ({ created: _, ...dm }: DmRecord & { created: boolean }): DmRecord => dm;
      expect(await store.listDms(me.id)).toEqual([
        { ...strip(busy), head: 2, peer: p2 },
        { ...strip(some), head: 1, peer: p3 },
        strip(quiet),
      ]);
      expect(await store.listDms(p2.id)).toEqual([{ ...strip(busy), head: 2, peer: me }]);
      expect(await store.listDms((await user()).id)).toEqual([]);
    });
  });

  describe("room pages and counts (migration 004)", () => {
    it("pages public rooms by name key and lists the rooms a user joined", async () => {
      const a = await user();
      const b2 = await user();
      const prefix = fresh("pg");
      const made = [];
      for (const n of ["c", "a", "b", "d"]) {
        const r = await store.createRoom(`${prefix}${n}`, "", a.id, T0);
        if (r === "taken") throw new Error("taken");
        made.push(r);
      }
      await store.openDm(a.id, b2.id, T0);
      const first = await store.listRoomsPage(`${prefix}`, 2);
      expect(first.map((r) => r.name)).toEqual([`${prefix}a`, `${prefix}b`]);
      const next = await store.listRoomsPage(`${prefix}b`, 2);
      expect(next.map((r) => r.name)).toEqual([`${prefix}c`, `${prefix}d`]);
      await store.addMember((made[0] as { id: number }).id, b2.id, T0);
      expect((await store.joinedRooms(b2.id)).map((r) => r.name)).toEqual([`${prefix}c`]);
      expect(await store.countRoomsCreatedBy(a.id)).toBe(4);
      expect(await store.countRoomsCreatedBy(b2.id)).toBe(0);
    });

    it("keeps member counts through joins, repeated joins, leaves and DMs", async () => {
      const a = await user();
      const b2 = await user();
      const r = await room(a);
      expect(r.members).toBe(1);
      await store.addMember(r.id, b2.id, T0);
      await store.addMember(r.id, b2.id, T0);
      expect((await store.findRoom(r.id))?.members).toBe(2);
      await store.removeMember(r.id, a.id);
      await store.removeMember(r.id, a.id);
      expect((await store.findRoom(r.id))?.members).toBe(1);
      const dm = await store.openDm(a.id, b2.id, T0);
      expect((await store.findRoom(dm.id))?.members).toBe(2);
    });
  });

  describe("read markers", () => {
    it("counts unread messages from others only, past the member's marker", async () => {
      const a = await user();
      const b2 = await user();
      const r = await room(a);
      const quiet = await room(a);
      await store.addMember(r.id, b2.id, T0);
      await store.append([req(r.id, a, "a1"), req(r.id, a, "a2"), req(r.id, a, "a3")]);
      await store.append([req(r.id, b2, "b1"), req(r.id, b2, "b2")]);
      expect(await store.memberships(b2.id)).toEqual([
        { room: r.id, lastRead: 0, unread: 3, mentions: 0 },
      ]);
      const byRoom = new Map((await store.memberships(a.id)).map((m) => [m.room, m]));
      expect(byRoom.get(r.id)).toEqual({ room: r.id, lastRead: 0, unread: 2, mentions: 0 });
      expect(byRoom.get(quiet.id)).toEqual({
        room: quiet.id,
        lastRead: 0,
        unread: 0,
        mentions: 0,
      });
      await store.markRead(r.id, b2.id, 2);
      expect(await store.memberships(b2.id)).toEqual([
        { room: r.id, lastRead: 2, unread: 1, mentions: 0 },
      ]);
    });

    it("never lowers the marker and never moves it past the room's head", async () => {
      const a = await user();
      const r = await room(a);
      await store.append([req(r.id, a, "m1"), req(r.id, a, "m2"), req(r.id, a, "m3")]);
      const marker = async () => (await store.memberships(a.id))[0]?.lastRead;
      await store.markRead(r.id, a.id, 2);
      expect(await marker()).toBe(2);
      await store.markRead(r.id, a.id, 1);
      expect(await marker()).toBe(2);
      await store.markRead(r.id, a.id, 1_000_000);
      expect(await marker()).toBe(3);
      await store.append([req(r.id, a, "m4")]);
      expect(await marker()).toBe(3);
      await store.markRead(r.id, a.id, 4);
      expect(await marker()).toBe(4);
    });

    it("leaves non-members without a marker", async () => {
      const a = await user();
      const outsider = await user();
      const r = await room(a);
      await store.append([req(r.id, a, "n1")]);
      await store.markRead(r.id, outsider.id, 1);
      expect(await store.memberships(outsider.id)).toEqual([]);
    });

    it(`counts unread messages up to ${UNREAD_COUNT_MAX}`, async () => {
      const a = await user();
      const b2 = await user();
      const r = await room(a);
      await store.addMember(r.id, b2.id, T0);
      const total = UNREAD_COUNT_MAX + 5;
      await store.append(Array.from({ length: total }, (_, i) => req(r.id, a, `cap${i}`)));
      expect(await store.memberships(b2.id)).toEqual([
        { room: r.id, lastRead: 0, unread: UNREAD_COUNT_MAX, mentions: 0 },
      ]);
      await store.markRead(r.id, b2.id, 10);
      expect((await store.memberships(b2.id))[0]?.unread).toBe(total - 10);
    });
  });
});
