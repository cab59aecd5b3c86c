/**
 * One contract for every Store backend, run against SqliteStore (a temp file) and PostgresStore
 * (a fresh database per run, dropped afterwards), plus what only a shared store must do:
 * several nodes appending to one room at once.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { postgresMigrations } from "../db/migrations-postgres.ts";
import {
  type AppendRequest,
  type AppendResult,
  type BotTokenRecord,
  type DmRecord,
  type FileRecord,
  type Store,
  UNREAD_COUNT_MAX,
  type UserRecord,
} from "../db/store.ts";
import { PostgresStore, PostgresTimeoutError } from "../db/store-postgres.ts";
import { SqliteStore } from "../db/store-sqlite.ts";
import { type Message, nameKey, type UserRef } from "../src/protocol/index.ts";
import { tempDir } from "./support/server.ts";
import {
  assertReachable,
  createTestDatabase,
  POSTGRES_URL,
  postgresGate,
  startTcpProxy,
  type TestDatabase,
  terminateConnections,
  waitFor,
} from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const T0 = 1_800_000_000_000;
let counter = 0;
/** A name unique in this run, valid as a user or room name. */
function fresh(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}x${Math.random().toString(36).slice(2, 7)}`;
}

/** An envelope-shaped object; the store treats it as opaque JSON. */
function envelope(id: string) {
  return {
    v: 1 as const,
    conv: "dm-conv",
    id,
    at: T0,
    from: { u: "1", d: "dev-a" },
    to: [{ u: "2", d: "dev-b", k: "d3JhcHBlZA" }],
    epk: "ZXBr",
    kc: "a2M",
    iv: "aXY",
    ct: "Y2lwaGVyIOKAnHF1b3RlZOKAnQ",
    sig: "c2ln",
  };
}

function sent(result: AppendResult | undefined): Message {
  if (!result?.ok || !result.message) {
    throw new Error(`expected a stored message, got ${JSON.stringify(result)}`);
  }
  return result.message;
}

interface Backend {
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

function contract(name: string, backend: () => Backend, skip = false) {
  describe.skipIf(skip)(`${name} store contract`, () => {
    let b: Backend;
    let store: Store;

    async function user(prefix = "u"): Promise<UserRef> {
      const r = await store.createUser(fresh(prefix), "hash", T0);
      if (r === "taken") throw new Error("name taken");
      return { id: r.id, name: r.name };
    }

    async function room(creator: UserRef, prefix = "r") {
      const r = await store.createRoom(fresh(prefix), "topic", creator.id, T0);
      if (r === "taken") throw new Error("room taken");
      return r;
    }

    function req(
      roomId: number,
      sender: UserRef,
      cid: string,
      body = `body ${cid}`,
    ): AppendRequest {
      return { room: roomId, sender, cid, body, ts: T0 + 5 };
    }

    /** A sealed request: the store keeps the envelope as JSON and never looks inside. */
    function sealedReq(roomId: number, sender: UserRef, cid: string): AppendRequest {
      return { ...req(roomId, sender, cid, JSON.stringify(envelope(cid))), sealed: true };
    }

    beforeAll(async () => {
      b = backend();
      store = await b.open();
    });
    afterAll(async () => {
      await store?.close();
      await b?.dispose();
    });

    describe("users", () => {
      it("creates a user and finds it by name in any case, keeping the chosen case", async () => {
        const name = fresh("Alice");
        const created = await store.createUser(name, "argon-hash", T0);
        expect(created).toEqual({ id: expect.any(Number), name, passwordHash: "argon-hash" });
        expect(await store.findUser(name.toUpperCase())).toEqual(created as UserRecord);
        expect(await store.findUser(name.toLowerCase())).toEqual(created as UserRecord);
      });

      it("refuses a name that differs only in case as taken", async () => {
        const name = fresh("Bob");
        await store.createUser(name, "h", T0);
        expect(await store.createUser(name.toUpperCase(), "h2", T0)).toBe("taken");
        expect((await store.findUser(name))?.passwordHash).toBe("h");
      });

      it("finds no unknown user", async () => {
        expect(await store.findUser(fresh("nobody"))).toBeUndefined();
      });
    });

    describe("sessions", () => {
      it("finds a live session with its user until it expires", async () => {
        const u = await user();
        await store.createSession(u.id, "tok-live", T0, T0 + 1000);
        expect(await store.findSession("tok-live", T0 + 999)).toEqual({
          user: u,
          expiresAt: T0 + 1000,
        });
        expect(await store.findSession("tok-live", T0 + 1000)).toBeUndefined();
        expect(await store.findSession("tok-unknown", T0)).toBeUndefined();
      });

      it("deletes a session once", async () => {
        const u = await user();
        await store.createSession(u.id, "tok-del", T0, T0 + 1000);
        expect(await store.deleteSession("tok-del")).toBe(true);
        expect(await store.deleteSession("tok-del")).toBe(false);
        expect(await store.findSession("tok-del", T0)).toBeUndefined();
      });

      it("sweeps only expired sessions", async () => {
        const u = await user();
        const far = T0 + 10_000_000;
        await store.createSession(u.id, "tok-old-1", T0, far + 1);
        await store.createSession(u.id, "tok-old-2", T0, far + 2);
        await store.createSession(u.id, "tok-new", T0, far + 100);
        expect(await store.deleteExpiredSessions(far + 2)).toBeGreaterThanOrEqual(2);
        expect(await store.findSession("tok-old-2", T0)).toBeUndefined();
        expect((await store.findSession("tok-new", far + 3))?.user).toEqual(u);
      });
    });

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

      it("tells which of many session tokens are still live", async () => {
        const u = await user();
        await store.createSession(u.id, "batch-live", T0, T0 + 1000);
        await store.createSession(u.id, "batch-expired", T0, T0 + 10);
        await store.createSession(u.id, "batch-gone", T0, T0 + 1000);
        await store.deleteSession("batch-gone");
        const live = await store.liveSessions(
          ["batch-live", "batch-expired", "batch-gone", "never"],
          T0 + 100,
        );
        expect([...live]).toEqual(["batch-live"]);
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

    describe("append", () => {
      it("assigns gapless seqs per room, in batch order, and moves the head", async () => {
        const u = await user();
        const r1 = await room(u);
        const r2 = await room(u);
        const results = await store.append([
          req(r1.id, u, "a1"),
          req(r2.id, u, "b1"),
          req(r1.id, u, "a2"),
          req(r1.id, u, "a3"),
          req(r2.id, u, "b2"),
        ]);
        expect(results.map((x) => sent(x).seq)).toEqual([1, 1, 2, 3, 2]);
        expect(results.every((x) => x.ok && !x.duplicate)).toBe(true);
        expect(sent(results[0])).toEqual({
          room: r1.id,
          seq: 1,
          ts: T0 + 5,
          from: u,
          cid: "a1",
          body: "body a1",
        });
        const more = await store.append([req(r1.id, u, "a4")]);
        expect(sent(more[0]).seq).toBe(4);
        expect((await store.findRoom(r1.id))?.head).toBe(4);
        expect((await store.findRoom(r2.id))?.head).toBe(2);
      });

      it("returns the original for a repeated (sender, cid) and stores nothing", async () => {
        const u = await user();
        const r = await room(u);
        const [first] = await store.append([req(r.id, u, "once", "original body")]);
        const [again] = await store.append([req(r.id, u, "once", "edited body")]);
        expect(again).toEqual({ ok: true, duplicate: true, message: sent(first) });
        expect((await store.findRoom(r.id))?.head).toBe(1);
        expect((await store.messagesAfter(r.id, 0, 10)).map((m) => m.body)).toEqual([
          "original body",
        ]);
      });

      it("treats a repeat within one batch as a duplicate of the first", async () => {
        const u = await user();
        const r = await room(u);
        const results = await store.append([
          req(r.id, u, "twin", "one"),
          req(r.id, u, "other"),
          req(r.id, u, "twin", "two"),
        ]);
        expect(results[0]).toMatchObject({ ok: true, duplicate: false });
        expect(results[2]).toEqual({ ok: true, duplicate: true, message: sent(results[0]) });
        expect((await store.findRoom(r.id))?.head).toBe(2);
      });

      it("does not confuse the same cid from two senders", async () => {
        const a = await user();
        const c = await user();
        const r = await room(a);
        await store.addMember(r.id, c.id, T0);
        const results = await store.append([req(r.id, a, "same"), req(r.id, c, "same")]);
        expect(results.map((x) => [sent(x).seq, x.ok && x.duplicate])).toEqual([
          [1, false],
          [2, false],
        ]);
      });

      it("refuses a non-member with NOT_MEMBER and an unknown room with ROOM_NOT_FOUND", async () => {
        const owner = await user();
        const outsider = await user();
        const r = await room(owner);
        const results = await store.append([
          req(r.id, outsider, "x1"),
          req(99_999_999, owner, "x2"),
          req(r.id, owner, "x3"),
        ]);
        expect(results[0]).toEqual({ ok: false, code: "NOT_MEMBER" });
        expect(results[1]).toEqual({ ok: false, code: "ROOM_NOT_FOUND" });
        expect(sent(results[2]).seq).toBe(1);
        // A refused request leaves its cid free.
        await store.addMember(r.id, outsider.id, T0);
        expect(sent((await store.append([req(r.id, outsider, "x1")]))[0]).seq).toBe(2);
      });

      it("keeps bodies exactly, including quotes, braces, back slashes and emoji", async () => {
        const u = await user();
        const r = await room(u);
        const bodies = ['say "hi"', "{a,b}", "NULL", "back\\slash", "é🎉 ünï", "line\nbreak", "'"];
        await store.append(bodies.map((body, i) => req(r.id, u, `k${i}`, body)));
        expect((await store.messagesAfter(r.id, 0, 50)).map((m) => m.body)).toEqual(bodies);
      });

      it("stays gapless under concurrent appends from one store", async () => {
        const u = await user();
        const r = await room(u);
        const calls = Array.from({ length: 20 }, (_, i) =>
          store.append([req(r.id, u, `c${i}a`), req(r.id, u, `c${i}b`)]),
        );
        const seqs = (await Promise.all(calls)).flat().map((x) => sent(x).seq);
        expect(seqs.toSorted((a, z) => a - z)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      });
    });

    describe("history", () => {
      let u: UserRef;
      let roomId: number;
      beforeAll(async () => {
        u = await user();
        roomId = (await room(u)).id;
        await store.append(Array.from({ length: 10 }, (_, i) => req(roomId, u, `h${i + 1}`)));
      });

      it("pages forward with messagesAfter, oldest first", async () => {
        const page = async (after: number, limit: number) =>
          (await store.messagesAfter(roomId, after, limit)).map((m) => m.seq);
        expect(await page(0, 3)).toEqual([1, 2, 3]);
        expect(await page(3, 3)).toEqual([4, 5, 6]);
        expect(await page(9, 3)).toEqual([10]);
        expect(await page(10, 3)).toEqual([]);
      });

      it("pages backward with messagesBefore, the newest of them oldest first", async () => {
        const page = async (before: number, limit: number) =>
          (await store.messagesBefore(roomId, before, limit)).map((m) => m.seq);
        expect(await page(11, 3)).toEqual([8, 9, 10]);
        expect(await page(8, 3)).toEqual([5, 6, 7]);
        expect(await page(2, 3)).toEqual([1]);
        expect(await page(1, 3)).toEqual([]);
      });

      it("returns whole messages with their sender", async () => {
        const [m] = await store.messagesBefore(roomId, 2, 1);
        expect(m).toEqual({
          room: roomId,
          seq: 1,
          ts: T0 + 5,
          from: u,
          cid: "h1",
          body: "body h1",
        });
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

    describe("sealed messages", () => {
      it("stores an envelope and returns it parsed with an empty body, in history too", async () => {
        const a = await user();
        const b2 = await user();
        const dm = await store.openDm(a.id, b2.id, T0);
        const results = await store.append([sealedReq(dm.id, a, "s1"), req(dm.id, b2, "p1")]);
        const sealed = sent(results[0]);
        expect(sealed).toEqual({
          room: dm.id,
          seq: 1,
          ts: T0 + 5,
          from: a,
          cid: "s1",
          body: "",
          envelope: envelope("s1"),
        });
        expect("envelope" in sent(results[1])).toBe(false);
        expect(await store.messagesAfter(dm.id, 0, 10)).toEqual([sealed, sent(results[1])]);
        expect(await store.messagesBefore(dm.id, 2, 10)).toEqual([sealed]);
        const [again] = await store.append([sealedReq(dm.id, a, "s1")]);
        expect(again).toEqual({ ok: true, duplicate: true, message: sealed });
      });
    });

    describe("files", () => {
      function file(roomId: number, uploader: number, id: string, extra: Partial<FileRecord> = {}) {
        return {
          id,
          room: roomId,
          uploader,
          sha256: "ab".repeat(32),
          size: 1234,
          name: "Résumé “final”.pdf",
          type: "application/pdf",
          createdAt: T0,
          ...extra,
        } satisfies FileRecord;
      }

      it("records a file once per id and finds it again exactly", async () => {
        const a = await user();
        const r = await room(a);
        const id = fresh("f").padEnd(22, "x").slice(0, 22);
        const record = file(r.id, a.id, id);
        expect(await store.putFile(record)).toBe("ok");
        expect(await store.putFile({ ...record, size: 1 })).toBe("taken");
        expect(await store.findFile(id)).toEqual(record);
        expect(await store.findFile("nope")).toBeUndefined();
      });

      it("keeps a DM file without a name or type: absent, not empty", async () => {
        const a = await user();
        const b2 = await user();
        const dm = await store.openDm(a.id, b2.id, T0);
        const id = fresh("d").padEnd(22, "y").slice(0, 22);
        const { name: _n, type: _t, ...bare } = file(dm.id, a.id, id, { size: 0 });
        expect(await store.putFile(bare)).toBe("ok");
        const found = await store.findFile(id);
        expect(found).toEqual(bare);
        expect(found && ("name" in found || "type" in found)).toBe(false);
      });

      it("stores a message's file with it, in history and on a duplicate too", async () => {
        const a = await user();
        const r = await room(a);
        const shared = { id: "F".repeat(22), name: "cat.png", size: 42, type: "image/png" };
        const [first, plain] = await store.append([
          { ...req(r.id, a, "file1", ""), file: shared },
          req(r.id, a, "text1"),
        ]);
        expect(sent(first)).toMatchObject({ body: "", file: shared });
        expect("file" in sent(plain)).toBe(false);
        const history = await store.messagesAfter(r.id, 0, 10);
        expect(history).toEqual([sent(first), sent(plain)]);
        expect(await store.messagesBefore(r.id, 3, 10)).toEqual(history);
        const [again] = await store.append([{ ...req(r.id, a, "file1", ""), file: shared }]);
        expect(again).toEqual({ ok: true, duplicate: true, message: sent(first) });
      });
    });

    describe("hardening (migration 004)", () => {
      const fileId = (prefix: string) => fresh(prefix).padEnd(22, "z").slice(0, 22);

      it("lists a user's live sessions newest first, with last use and client", async () => {
        const u = await user();
        const other = await user();
        await store.createSession(u.id, "sess-a", T0, T0 + 1000);
        await store.createSession(u.id, "sess-b", T0 + 1, T0 + 1000);
        await store.createSession(u.id, "sess-gone", T0, T0 + 10);
        await store.createSession(other.id, "sess-other", T0, T0 + 1000);
        await store.touchSession("sess-a", T0 + 50, "x".repeat(300));
        await store.touchSession("sess-a", T0 + 60);
        expect(await store.listSessions(u.id, T0 + 20)).toEqual([
          {
            tokenHash: "sess-b",
            createdAt: T0 + 1,
            lastSeenAt: 0,
            expiresAt: T0 + 1000,
            agent: "",
          },
          {
            tokenHash: "sess-a",
            createdAt: T0,
            lastSeenAt: T0 + 60,
            expiresAt: T0 + 1000,
            agent: "x".repeat(200),
          },
        ]);
      });

      it("deletes all of a user's sessions but one, or all, and tells which", async () => {
        const u = await user();
        const other = await user();
        for (const t of ["keep-1", "drop-1", "drop-2"])
          await store.createSession(u.id, t, T0, T0 + 1000);
        await store.createSession(other.id, "other-1", T0, T0 + 1000);
        expect((await store.deleteSessionsOf(u.id, "keep-1")).sort()).toEqual(["drop-1", "drop-2"]);
        expect(await store.findSession("keep-1", T0)).toBeDefined();
        expect(await store.deleteSessionsOf(u.id)).toEqual(["keep-1"]);
        expect(await store.findSession("other-1", T0)).toBeDefined();
      });

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

      it("changes a password hash", async () => {
        const name = fresh("pw");
        const created = await store.createUser(name, "old-hash", T0);
        if (created === "taken") throw new Error("taken");
        await store.setPassword(created.id, "new-hash");
        expect((await store.findUser(name))?.passwordHash).toBe("new-hash");
      });

      it("redeems a ticket once, never after it expires or its session is gone", async () => {
        const u = await user();
        await store.createSession(u.id, "tick-sess", T0, T0 + 100_000);
        await store.createTicket("ticket-1", "tick-sess", T0 + 30);
        await store.createTicket("ticket-2", "tick-sess", T0 + 30);
        await store.createTicket("ticket-3", "tick-sess", T0 + 30);
        expect(await store.consumeTicket("ticket-1", T0 + 10)).toBe("tick-sess");
        expect(await store.consumeTicket("ticket-1", T0 + 11)).toBeUndefined();
        expect(await store.consumeTicket("ticket-2", T0 + 30)).toBeUndefined();
        await store.deleteSession("tick-sess");
        expect(await store.consumeTicket("ticket-3", T0 + 10)).toBeUndefined();
      });

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

      it("sums a user's uploads since a time, and finds and deletes files no message shares", async () => {
        const a = await user();
        const r = await room(a);
        const sha = "cd".repeat(32);
        const base = { room: r.id, uploader: a.id, sha256: sha, name: "a.txt", type: "text/plain" };
        const kept = { ...base, id: fileId("kept"), size: 10, createdAt: T0 };
        const lonely = { ...base, id: fileId("lone"), size: 20, createdAt: T0 + 1 };
        const recent = { ...base, id: fileId("rec"), size: 40, createdAt: T0 + 500 };
        for (const f of [kept, lonely, recent]) expect(await store.putFile(f)).toBe("ok");
        expect(await store.uploadedBytes(a.id, 0)).toBe(70);
        expect(await store.uploadedBytes(a.id, T0 + 1)).toBe(60);
        await store.append([
          {
            ...req(r.id, a, fresh("share"), ""),
            file: { id: kept.id, name: "a.txt", size: 10, type: "text/plain" },
          },
        ]);
        const unshared = (await store.unsharedFiles(T0 + 100, 1000)).filter((f) => f.room === r.id);
        expect(unshared.map((f) => f.id)).toEqual([lonely.id]);
        expect(await store.deleteFile(lonely.id)).toEqual({ deleted: true, blobUnused: false });
        expect(await store.deleteFile(lonely.id)).toEqual({ deleted: false, blobUnused: false });
        await store.deleteFile(recent.id);
        expect(await store.deleteFile(kept.id)).toEqual({ deleted: true, blobUnused: true });
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
        expect(await store.putDeviceList(a.id, "K2", 9, '{"l":"k2"}', T0, false)).toBe(
          "key-changed",
        );
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

    describe("the event log (migration 007)", () => {
      function change(
        roomId: number,
        sender: UserRef,
        cid: string,
        event: AppendRequest["event"],
        body = "",
      ): AppendRequest {
        return { room: roomId, sender, cid, body, ts: T0 + 7, event };
      }

      async function stored(r: AppendRequest) {
        const [result] = await store.append([r]);
        if (!result?.ok || !result.event)
          throw new Error(`expected an event: ${JSON.stringify(result)}`);
        return result.event;
      }

      it("gives an edit its own seq, replaces the text and marks the message edited", async () => {
        const a = await user();
        const r = await room(a);
        const m = sent((await store.append([req(r.id, a, "ev-m1", "first")]))[0]);
        const edit = await stored(
          change(r.id, a, "ev-e1", { kind: "edit", target: m.seq }, "second"),
        );
        expect(edit).toEqual({
          room: r.id,
          seq: m.seq + 1,
          ts: T0 + 7,
          from: a,
          cid: "ev-e1",
          kind: "edit",
          target: m.seq,
          body: "second",
        });
        const now = { ...m, body: "second", edited: T0 + 7 };
        expect(await store.findMessage(r.id, m.seq)).toEqual(now);
        expect(await store.messagesAfter(r.id, 0, 10)).toEqual([now]);
        expect(await store.messagesBefore(r.id, 99, 10)).toEqual([now]);
        expect(await store.logAfter(r.id, 0, 10)).toEqual([now, edit]);
        expect(await store.logBefore(r.id, 99, 1)).toEqual([edit]);
        expect((await store.roomHeads([r.id])).get(r.id)).toBe(m.seq + 1);
        expect(await store.findMessage(r.id, edit.seq)).toBeUndefined();
      });

      it("answers a repeated event cid with the original event and applies it once", async () => {
        const a = await user();
        const r = await room(a);
        const m = sent((await store.append([req(r.id, a, "ev-m2")]))[0]);
        const react = change(r.id, a, "ev-r2", { kind: "react", target: m.seq, on: true }, "👍");
        const first = await store.append([react]);
        const again = await store.append([{ ...react, ts: T0 + 99 }]);
        expect(again).toEqual([{ ...first[0], duplicate: true } as AppendResult]);
        expect((await store.findMessage(r.id, m.seq))?.reactions).toEqual([
          { emoji: "👍", count: 1, users: [a] },
        ]);
        expect((await store.roomHeads([r.id])).get(r.id)).toBe(m.seq + 1);
      });

      it("aggregates reactions per emoji with who, and takes one back", async () => {
        const a = await user();
        const b2 = await user();
        const r = await room(a);
        await store.addMember(r.id, b2.id, T0);
        const m = sent((await store.append([req(r.id, a, "ev-m3")]))[0]);
        const on = (u: UserRef, cid: string, emoji: string, flag = true) =>
          change(r.id, u, cid, { kind: "react", target: m.seq, on: flag }, emoji);
        const later = (r: AppendRequest, dt: number) => ({ ...r, ts: T0 + dt });
        await store.append([
          later(on(a, "ev-3a", "👍"), 1),
          later(on(b2, "ev-3b", "👍"), 2),
          later(on(b2, "ev-3c", "🎉"), 3),
        ]);
        expect((await store.findMessage(r.id, m.seq))?.reactions).toEqual([
          { emoji: "👍", count: 2, users: [a, b2] },
          { emoji: "🎉", count: 1, users: [b2] },
        ]);
        const off = await stored(on(a, "ev-3d", "👍", false));
        expect(off).toMatchObject({ kind: "react", emoji: "👍", on: false, target: m.seq });
        expect((await store.findMessage(r.id, m.seq))?.reactions).toEqual([
          { emoji: "👍", count: 1, users: [b2] },
          { emoji: "🎉", count: 1, users: [b2] },
        ]);
      });

      it("refuses a new emoji past the bound with TOO_MANY_REACTIONS, but not a known one", async () => {
        const a = await user();
        const b2 = await user();
        const r = await room(a);
        await store.addMember(r.id, b2.id, T0);
        const m = sent((await store.append([req(r.id, a, "ev-m4")]))[0]);
        const emoji = [..."😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩"];
        const batch = emoji.map((e, i) =>
          change(r.id, a, `ev-4-${i}`, { kind: "react", target: m.seq, on: true }, e),
        );
        const results = await store.append(batch);
        expect(results.slice(0, 20).every((x) => x.ok)).toBe(true);
        expect(results[20]).toEqual({ ok: false, code: "TOO_MANY_REACTIONS" });
        const known = await store.append([
          change(r.id, b2, "ev-4-b", { kind: "react", target: m.seq, on: true }, "😀"),
        ]);
        expect(known[0]?.ok).toBe(true);
        expect((await store.findMessage(r.id, m.seq))?.reactions).toHaveLength(20);
      });

      it("erases a deleted message's text, its edits' texts and its reactions", async () => {
        const a = await user();
        const r = await room(a);
        const m = sent((await store.append([req(r.id, a, "ev-m5", "secret one")]))[0]);
        const edit = await stored(
          change(r.id, a, "ev-5e", { kind: "edit", target: m.seq }, "secret two"),
        );
        await stored(change(r.id, a, "ev-5r", { kind: "react", target: m.seq, on: true }, "👍"));
        const del = await stored(change(r.id, a, "ev-5d", { kind: "delete", target: m.seq }));
        expect(del).toMatchObject({ kind: "delete", target: m.seq, seq: m.seq + 3 });
        const gone = await store.findMessage(r.id, m.seq);
        expect(gone).toEqual({ ...m, body: "", deleted: true, edited: T0 + 7 });
        const log = await store.logAfter(r.id, 0, 10);
        expect(log.map((e) => e.seq)).toEqual([m.seq, m.seq + 1, m.seq + 2, m.seq + 3]);
        expect(log[1]).toEqual({ ...edit, body: "" });
        expect(JSON.stringify(log)).not.toContain("secret");
      });

      it("refuses an event on a missing message, an event, or a deleted message", async () => {
        const a = await user();
        const r = await room(a);
        const m = sent((await store.append([req(r.id, a, "ev-m6")]))[0]);
        const edit = await stored(change(r.id, a, "ev-6e", { kind: "edit", target: m.seq }, "x"));
        const results = await store.append([
          change(r.id, a, "ev-6a", { kind: "edit", target: 999 }, "y"),
          change(r.id, a, "ev-6b", { kind: "edit", target: edit.seq }, "y"),
          change(r.id, a, "ev-6c", { kind: "delete", target: m.seq }),
          change(r.id, a, "ev-6d", { kind: "edit", target: m.seq }, "too late"),
        ]);
        expect(results.map((x) => (x.ok ? "ok" : x.code))).toEqual([
          "MESSAGE_NOT_FOUND",
          "MESSAGE_NOT_FOUND",
          "ok",
          "MESSAGE_DELETED",
        ]);
        expect((await store.roomHeads([r.id])).get(r.id)).toBe(edit.seq + 1);
      });

      it("refuses an event from a non-member with NOT_MEMBER", async () => {
        const a = await user();
        const c = await user();
        const r = await room(a);
        const m = sent((await store.append([req(r.id, a, "ev-m7")]))[0]);
        const [x] = await store.append([
          change(r.id, c, "ev-7", { kind: "react", target: m.seq, on: true }, "👍"),
        ]);
        expect(x).toEqual({ ok: false, code: "NOT_MEMBER" });
      });

      it("stores a reply with a quote of the original, and refuses one to no message", async () => {
        const a = await user();
        const r = await room(a);
        const m = sent((await store.append([req(r.id, a, "ev-m8", "the original")]))[0]);
        const reply = sent(
          (await store.append([{ ...req(r.id, a, "ev-8r", "yes"), reply: m.seq }]))[0],
        );
        const quote = { seq: m.seq, from: a, excerpt: "the original" };
        expect(reply.reply).toEqual(quote);
        expect(await store.findMessage(r.id, reply.seq)).toEqual(reply);
        const [none] = await store.append([{ ...req(r.id, a, "ev-8x", "no"), reply: 999 }]);
        expect(none).toEqual({ ok: false, code: "REPLY_NOT_FOUND" });
        await stored(change(r.id, a, "ev-8d", { kind: "delete", target: m.seq }));
        expect((await store.findMessage(r.id, reply.seq))?.reply).toEqual({
          ...quote,
          excerpt: "",
          deleted: true,
        });
      });

      it("counts unread messages that @mention the member apart, in any case, never deleted ones", async () => {
        const a = await user();
        const b2 = await user();
        const r = await room(a);
        await store.addMember(r.id, b2.id, T0);
        const [m1] = (
          await store.append([
            req(r.id, a, "mn-1", `hi @${b2.name.toUpperCase()}!`),
            req(r.id, a, "mn-2", "no mention"),
            req(r.id, a, "mn-3", `@${b2.name} again`),
          ])
        ).map((x) => sent(x));
        await store.append([
          { ...req(r.id, a, "mn-d", ""), event: { kind: "delete", target: m1?.seq } },
        ]);
        const mine = (await store.memberships(b2.id)).find((x) => x.room === r.id);
        expect(mine).toMatchObject({ unread: 3, mentions: 1 });
      });

      it("counts no event as unread", async () => {
        const a = await user();
        const b2 = await user();
        const r = await room(a);
        await store.addMember(r.id, b2.id, T0);
        const m = sent((await store.append([req(r.id, a, "ev-m9")]))[0]);
        await stored(change(r.id, a, "ev-9e", { kind: "edit", target: m.seq }, "edited"));
        await stored(change(r.id, a, "ev-9r", { kind: "react", target: m.seq, on: true }, "👍"));
        const mine = (await store.memberships(b2.id)).find((x) => x.room === r.id);
        expect(mine?.unread).toBe(1);
      });

      it("keeps a DM's changes sealed, and erases the ciphertexts on delete", async () => {
        const a = await user();
        const b2 = await user();
        const dm = await store.openDm(a.id, b2.id, T0);
        const m = sent((await store.append([sealedReq(dm.id, a, "ev-s1")]))[0]);
        const sealedChange = (cid: string, event: AppendRequest["event"]) => ({
          ...change(dm.id, a, cid, event, JSON.stringify(envelope(cid))),
          sealed: true,
        });
        const edit = await stored(sealedChange("ev-s2", { kind: "edit", target: m.seq }));
        expect(edit.envelope).toEqual(envelope("ev-s2"));
        expect(edit.body).toBeUndefined();
        const react = await stored(sealedChange("ev-s3", { kind: "react", target: m.seq }));
        expect(react.envelope).toEqual(envelope("ev-s3"));
        expect(await store.findMessage(dm.id, m.seq)).toEqual({
          ...m,
          envelope: envelope("ev-s2"),
          edited: T0 + 7,
        });
        await stored(change(dm.id, a, "ev-s4", { kind: "delete", target: m.seq }));
        const log = await store.logAfter(dm.id, 0, 10);
        expect(log[0]).toEqual({ ...m, envelope: undefined, deleted: true, edited: T0 + 7 });
        expect(log.some((e) => "envelope" in e && e.envelope)).toBe(false);
      });
    });

    describe("search (migration 007)", () => {
      it("finds words of the caller's public rooms only, newest first, kept in step with edits and deletes", async () => {
        const a = await user();
        const b2 = await user();
        const mine = await room(a);
        const theirs = await room(b2);
        const word = fresh("zebra").toLowerCase();
        const at = (r: AppendRequest, ts: number) => ({ ...r, ts });
        const [m1, m2, m3] = (
          await store.append([
            at(req(mine.id, a, "s-1", `the ${word} runs`), T0 + 1),
            at(req(mine.id, a, "s-2", `a ${word}fish swims`), T0 + 2),
            at(req(mine.id, a, "s-3", `no match here`), T0 + 3),
          ])
        ).map((r) => sent(r)) as [Message, Message, Message];
        await store.append([at(req(theirs.id, b2, "s-4", `their ${word}`), T0 + 4)]);
        const dm = await store.openDm(a.id, b2.id, T0);
        await store.append([sealedReq(dm.id, a, "s-5")]);
        const hits = await store.search(a.id, { terms: [word], limit: 10 });
        expect(hits.map((h) => [h.room, h.seq])).toEqual([
          [mine.id, m2.seq],
          [mine.id, m1.seq],
        ]);
        expect(hits[1]).toMatchObject({ ts: T0 + 1, from: a });
        expect(hits[1]?.snippet).toContain(word);
        // Paged: the page after the first hit.
        const next = await store.search(a.id, {
          terms: [word],
          limit: 10,
          before: { ts: T0 + 2, room: mine.id, seq: m2.seq },
        });
        expect(next.map((h) => h.seq)).toEqual([m1.seq]);
        // Two words must both match.
        expect(await store.search(a.id, { terms: [word, "runs"], limit: 10 })).toHaveLength(1);
        // An edit replaces what is found; a delete removes it.
        await store.append([
          {
            ...req(mine.id, a, "s-e", `still a ${word}`),
            event: { kind: "edit", target: m3.seq },
          },
          { ...req(mine.id, a, "s-d", ""), event: { kind: "delete", target: m1.seq } },
          { ...req(mine.id, a, "s-e2", "plain words"), event: { kind: "edit", target: m2.seq } },
        ]);
        const after = await store.search(a.id, { terms: [word], limit: 10 });
        expect(after.map((h) => h.seq)).toEqual([m3.seq]);
        expect(await store.search(a.id, { terms: ["plain"], room: theirs.id, limit: 10 })).toEqual(
          [],
        );
        expect(await store.search(b2.id, { terms: [word], limit: 10 })).toHaveLength(1);
      });
    });

    describe("bots and bot tokens", () => {
      it("creates a bot owned by a user, refuses a taken name, and lists and finds it", async () => {
        const owner = await user();
        const name = fresh("bot");
        const bot = await store.createBot(owner.id, name, "bot-hash", T0);
        expect(bot).toEqual({ id: expect.any(Number), name, owner: owner.id, createdAt: T0 });
        if (bot === "taken") throw new Error("taken");
        expect(await store.createBot(owner.id, name.toUpperCase(), "h", T0)).toBe("taken");
        expect(await store.createBot(owner.id, owner.name, "h", T0)).toBe("taken");
        expect(await store.botsOf(owner.id)).toEqual([bot]);
        expect(await store.findBot(bot.id)).toEqual(bot);
        // A person is not a bot, and a bot takes DMs from its contacts only (it has none).
        expect(await store.findBot(owner.id)).toBeUndefined();
        expect(await store.dmPolicy(bot.id)).toBe("contacts");
        expect(await store.findUserById(bot.id)).toEqual({ id: bot.id, name });
      });

      it("finds a live token by its hash with its rooms, and never a revoked one", async () => {
        const owner = await user();
        const bot = await store.createBot(owner.id, fresh("bot"), "h", T0);
        if (bot === "taken") throw new Error("taken");
        const r1 = await room(owner);
        const r2 = await room(owner);
        const hash = `hash-${fresh("t")}`;
        const id = await store.createBotToken({
          botId: bot.id,
          kind: "api",
          tokenHash: hash,
          rooms: [r1.id, r2.id],
          now: T0,
        });
        const hook = await store.createBotToken({
          botId: bot.id,
          kind: "webhook",
          tokenHash: `hook-${hash}`,
          rooms: [r2.id],
          now: T0 + 1,
        });
        const live: BotTokenRecord = {
          id,
          bot: { id: bot.id, name: bot.name },
          owner: owner.id,
          kind: "api",
          rooms: [r1.id, r2.id],
          createdAt: T0,
        };
        expect(await store.findBotToken(hash)).toEqual(live);
        expect(await store.findBotToken("no-such-hash")).toBeUndefined();
        expect((await store.botTokens(bot.id)).map((t) => t.id)).toEqual([id, hook]);

        expect(await store.revokeBotToken(bot.id, id, T0 + 5)).toBe(hash);
        expect(await store.revokeBotToken(bot.id, id, T0 + 6)).toBeUndefined();
        // Only the bot's own token can be revoked through it.
        expect(await store.revokeBotToken(owner.id, hook, T0 + 6)).toBeUndefined();
        expect(await store.findBotToken(hash)).toBeUndefined();
        expect(await store.findBotToken(`hook-${hash}`)).toMatchObject({ kind: "webhook" });
        expect((await store.botTokens(bot.id))[0]).toEqual({ ...live, revokedAt: T0 + 5 });
      });
    });

    describe("running a server (migration 009)", () => {
      const by = (actor: UserRef, now = T0) => ({ actor, reason: "why", now });

      it("promotes, disables (ending every session) and enables accounts, audited", async () => {
        const root = await user();
        const u = await user();
        await store.createSession(u.id, fresh("tok"), T0, T0 + 10_000);
        expect(await store.accountFlags(u.id)).toEqual({ admin: false, disabled: false });
        expect(await store.setAdmin(u.id, true, by(root))).toBe(true);
        expect(await store.setAdmin(u.id, true, by(root))).toBe(false);
        expect(await store.setDisabled(u.id, true, by(root, T0 + 1))).toBe(true);
        expect(await store.accountFlags(u.id)).toEqual({ admin: true, disabled: true });
        expect(await store.listSessions(u.id, T0)).toEqual([]);
        // A session made while disabled is refused too.
        const late = fresh("tok");
        await store.createSession(u.id, late, T0, T0 + 10_000);
        expect(await store.findSession(late, T0)).toBeUndefined();
        expect((await store.liveSessions([late], T0)).size).toBe(0);
        expect(await store.setDisabled(u.id, false, by(root))).toBe(true);
        expect(await store.findSession(late, T0)).toBeDefined();
        const log = await store.auditLog(undefined, 50);
        const mine = log.filter((e) => e.target?.id === u.id).map((e) => e.action);
        expect(mine).toEqual(["user_enable", "user_disable", "admin_promote"]);
        const listed = await store.listUsers(undefined, 100_000);
        expect(listed.find((a) => a.id === u.id)).toMatchObject({ admin: true, disabled: false });
      });

      it("deletes an account: its messages stay under deleted-ID, its name is free again", async () => {
        const root = await user();
        const u = await user();
        const r = await room(u);
        sent((await store.append([req(r.id, u, fresh("c"))]))[0]);
        expect(await store.deleteAccount(u.id, by(root))).toBe(true);
        expect(await store.findUser(u.name)).toBeUndefined();
        expect(await store.isMember(r.id, u.id)).toBe(false);
        const [m] = await store.messagesAfter(r.id, 0, 10);
        expect(m?.from).toEqual({ id: u.id, name: `deleted-${u.id}` });
        expect(await store.createUser(u.name, "h", T0)).not.toBe("taken");
        expect(await store.deleteAccount(999_999_999, by(root))).toBe(false);
      });

      it("keeps settings, and registers with a live invite code only, spending its uses", async () => {
        const root = await user();
        expect(await store.setting(fresh("k"))).toBeUndefined();
        const key = fresh("k");
        await store.setSetting(key, "invite", by(root));
        expect(await store.setting(key)).toBe("invite");
        const code = fresh("code");
        await store.createServerInvite(code, T0 + 100, 1, by(root));
        const name = fresh("n");
        const made = await store.registerWithInvite(code, name, "h", T0);
        expect(made).toMatchObject({ name });
        expect(await store.registerWithInvite(code, fresh("n"), "h", T0)).toBe("invalid");
        const other = fresh("code");
        await store.createServerInvite(other, T0 + 100, 5, by(root));
        expect(await store.registerWithInvite(other, name, "h", T0)).toBe("taken");
        expect(await store.registerWithInvite(other, fresh("n"), "h", T0 + 100)).toBe("invalid");
      });
    });

    describe("communities (migration 009)", () => {
      async function privateRoom(owner: UserRef) {
        const r = await store.createRoom(fresh("Priv"), "", owner.id, T0, "private");
        if (r === "taken") throw new Error("room taken");
        return r;
      }

      it("keeps a private room out of every listing but its members' own", async () => {
        const owner = await user();
        const other = await user();
        const r = await privateRoom(owner);
        expect(r.visibility).toBe("private");
        expect((await store.listRooms()).some((x) => x.id === r.id)).toBe(false);
        expect((await store.listRoomsPage("", 1000)).some((x) => x.id === r.id)).toBe(false);
        expect((await store.joinedRooms(owner.id)).map((x) => x.id)).toContain(r.id);
        expect((await store.joinedRooms(other.id)).map((x) => x.id)).not.toContain(r.id);
        expect((await store.findRoomByName(r.name))?.visibility).toBe("private");
      });

      it("makes the creator owner, later members members, and reads standings", async () => {
        const owner = await user();
        const m = await user();
        const r = await room(owner);
        await store.addMember(r.id, m.id, T0);
        expect(await store.standing(r.id, owner.id)).toEqual({ role: "owner", mutedUntil: 0 });
        expect(await store.standing(r.id, m.id)).toEqual({ role: "member", mutedUntil: 0 });
        expect(await store.standing(r.id, (await user()).id)).toBeUndefined();
        const all = await store.standings(r.id);
        expect(all.get(owner.id)?.role).toBe("owner");
        expect(all.size).toBe(2);
      });

      it("applies role changes and transfers, and never demotes an owner by a role change", async () => {
        const owner = await user();
        const m = await user();
        const r = await room(owner);
        await store.addMember(r.id, m.id, T0);
        const act = (a: Parameters<Store["moderate"]>[0]["act"]) =>
          store.moderate({ room: r.id, actor: owner, act: a, reason: "", now: T0 + 1 });
        expect(await act({ action: "role", target: m.id, role: "moderator" })).toBe(true);
        expect(await act({ action: "role", target: m.id, role: "moderator" })).toBe(false);
        expect(await act({ action: "role", target: owner.id, role: "member" })).toBe(false);
        expect(await act({ action: "transfer", target: m.id })).toBe(true);
        expect((await store.standing(r.id, m.id))?.role).toBe("owner");
        expect((await store.standing(r.id, owner.id))?.role).toBe("moderator");
      });

      it("mutes a member: their appends are refused with MUTED until the mute ends", async () => {
        const owner = await user();
        const m = await user();
        const r = await room(owner);
        await store.addMember(r.id, m.id, T0);
        const until = T0 + 100;
        expect(
          await store.moderate({
            room: r.id,
            actor: owner,
            act: { action: "mute", target: m.id, until },
            reason: "spam",
            now: T0,
          }),
        ).toBe(true);
        const [refused] = await store.append([{ ...req(r.id, m, fresh("c")), ts: until - 1 }]);
        expect(refused).toEqual({ ok: false, code: "MUTED" });
        const [later] = await store.append([{ ...req(r.id, m, fresh("c")), ts: until }]);
        expect(later?.ok).toBe(true);
      });

      it("renames and archives a room (migration 010): an archived room refuses appends with ROOM_ARCHIVED but takes room events", async () => {
        const owner = await user();
        const m = await user();
        const r = await room(owner);
        await store.addMember(r.id, m.id, T0);
        const act = (a: Parameters<Store["moderate"]>[0]["act"]) =>
          store.moderate({ room: r.id, actor: owner, act: a, reason: "", now: T0 + 1 });
        const name = fresh("renamed");
        expect(await act({ action: "rename", name, key: nameKey(name) })).toBe(true);
        expect(await act({ action: "rename", name, key: nameKey(name) })).toBe(false);
        expect((await store.findRoom(r.id))?.name).toBe(name);
        expect((await store.findRoomByName(name.toUpperCase()))?.id).toBe(r.id);
        const [before] = await store.append([req(r.id, m, fresh("c"))]);
        expect(before?.ok).toBe(true);
        expect(await act({ action: "archive" })).toBe(true);
        expect(await act({ action: "archive" })).toBe(false);
        const [refused] = await store.append([req(r.id, m, fresh("c"))]);
        expect(refused).toEqual({ ok: false, code: "ROOM_ARCHIVED" });
        const [leave] = await store.append([
          { ...req(r.id, m, fresh("c")), body: "", event: { kind: "leave" } },
        ]);
        expect(leave?.ok).toBe(true);
        expect((await store.auditLog(r.id, 10)).map((e) => e.action)).toEqual([
          "archive",
          "rename",
        ]);
      });

      it("invites a user by name: listed until it expires, accepted (joins, unless banned) or declined once, audited", async () => {
        const owner = await user();
        const guest = await user();
        const r = await privateRoom(owner);
        const by = { actor: owner, reason: "", now: T0 };
        await store.inviteUser(r.id, guest.id, by, T0 + 100);
        expect(await store.userInvites(guest.id, T0 + 1)).toEqual([
          { room: r.id, name: r.name, by: owner, expiresAt: T0 + 100 },
        ]);
        expect(await store.userInvites(guest.id, T0 + 100)).toEqual([]);
        expect(await store.answerUserInvite(r.id, guest.id, true, T0 + 100)).toEqual({
          ok: false,
          code: "INVITE_NOT_FOUND",
        });
        await store.inviteUser(r.id, guest.id, { ...by, now: T0 + 1 }, T0 + 200);
        expect(await store.answerUserInvite(r.id, guest.id, false, T0 + 2)).toEqual({
          ok: true,
          room: r.id,
          joined: false,
        });
        expect(await store.isMember(r.id, guest.id)).toBe(false);
        await store.inviteUser(r.id, guest.id, { ...by, now: T0 + 3 }, T0 + 200);
        expect(await store.answerUserInvite(r.id, guest.id, true, T0 + 4)).toEqual({
          ok: true,
          room: r.id,
          joined: true,
        });
        expect(await store.isMember(r.id, guest.id)).toBe(true);
        expect(await store.answerUserInvite(r.id, guest.id, true, T0 + 5)).toMatchObject({
          ok: false,
        });
        const banned = await user();
        await store.moderate({
          room: r.id,
          actor: owner,
          act: { action: "ban", target: banned.id, until: null },
          reason: "",
          now: T0,
        });
        await store.inviteUser(r.id, banned.id, by, T0 + 200);
        expect(await store.answerUserInvite(r.id, banned.id, true, T0 + 6)).toEqual({
          ok: false,
          code: "BANNED",
        });
        const log = await store.auditLog(r.id, 10);
        expect(log.filter((e) => e.action === "invite_user").map((e) => e.target)).toContainEqual(
          guest,
        );
      });

      it("kicks and bans: a ban removes the member, stops invites, and ends when it expires", async () => {
        const owner = await user();
        const m = await user();
        const r = await room(owner);
        await store.addMember(r.id, m.id, T0);
        const mod = (act: Parameters<Store["moderate"]>[0]["act"], now = T0) =>
          store.moderate({ room: r.id, actor: owner, act, reason: "why", now });
        expect(await mod({ action: "kick", target: m.id })).toBe(true);
        expect(await mod({ action: "kick", target: m.id })).toBe(false);
        expect(await store.isMember(r.id, m.id)).toBe(false);
        await store.addMember(r.id, m.id, T0);
        expect(await mod({ action: "ban", target: m.id, until: T0 + 50 })).toBe(true);
        expect(await store.isMember(r.id, m.id)).toBe(false);
        expect(await store.isBanned(r.id, m.id, T0 + 49)).toBe(true);
        expect(await store.isBanned(r.id, m.id, T0 + 50)).toBe(false);
        const hash = fresh("code");
        await store.createInvite({
          room: r.id,
          codeHash: hash,
          by: owner,
          now: T0,
          expiresAt: T0 + 1000,
          maxUses: 5,
        });
        expect(await store.redeemInvite(hash, m, T0 + 10)).toEqual({ ok: false, code: "BANNED" });
        expect(await mod({ action: "unban", target: m.id }, T0 + 10)).toBe(true);
        expect(await store.isBanned(r.id, m.id, T0 + 10)).toBe(false);
        expect(await store.redeemInvite(hash, m, T0 + 11)).toEqual({
          ok: true,
          room: r.id,
          joined: true,
        });
      });

      it("spends invite uses, refuses expired, used-up and revoked invites", async () => {
        const owner = await user();
        const r = await room(owner);
        const hash = fresh("code");
        const id = await store.createInvite({
          room: r.id,
          codeHash: hash,
          by: owner,
          now: T0,
          expiresAt: T0 + 100,
          maxUses: 1,
        });
        const a = await user();
        const b2 = await user();
        expect(await store.redeemInvite(hash, a, T0 + 1)).toMatchObject({ ok: true, joined: true });
        // A member already spends nothing.
        expect(await store.redeemInvite(hash, owner, T0 + 1)).toEqual({
          ok: false,
          code: "INVITE_NOT_FOUND",
        });
        expect(await store.redeemInvite(hash, b2, T0 + 1)).toEqual({
          ok: false,
          code: "INVITE_NOT_FOUND",
        });
        const other = fresh("code");
        const id2 = await store.createInvite({
          room: r.id,
          codeHash: other,
          by: owner,
          now: T0,
          expiresAt: T0 + 100,
          maxUses: 10,
        });
        expect(await store.redeemInvite(other, b2, T0 + 100)).toMatchObject({ ok: false });
        expect(await store.revokeInvite(r.id, id2, owner, T0 + 2)).toBe(true);
        expect(await store.revokeInvite(r.id, id2, owner, T0 + 3)).toBe(false);
        expect(await store.redeemInvite(other, b2, T0 + 4)).toMatchObject({ ok: false });
        const listed = await store.invites(r.id);
        expect(listed.map((i) => i.id)).toEqual([id2, id]);
        expect(listed[0]).toMatchObject({ revokedAt: T0 + 2, uses: 0, maxUses: 10 });
        expect(listed[1]).toMatchObject({ uses: 1, maxUses: 1, createdBy: owner.id });
      });

      it("writes one audit row per action that changed something, newest first", async () => {
        const owner = await user();
        const m = await user();
        const r = await room(owner);
        await store.addMember(r.id, m.id, T0);
        await store.moderate({
          room: r.id,
          actor: owner,
          act: { action: "ban", target: m.id, until: null },
          reason: "spam",
          now: T0 + 1,
        });
        await store.moderate({
          room: r.id,
          actor: owner,
          act: { action: "kick", target: m.id },
          reason: "again",
          now: T0 + 2,
        });
        await store.moderate({
          room: r.id,
          actor: owner,
          act: { action: "topic", topic: "new" },
          reason: "",
          now: T0 + 3,
        });
        const log = await store.auditLog(r.id, 10);
        expect(log.map((e) => e.action)).toEqual(["topic", "ban"]);
        expect(log[1]).toEqual({
          id: expect.any(Number),
          room: r.id,
          actor: owner,
          action: "ban",
          target: m,
          reason: "spam",
          detail: JSON.stringify({ until: null }),
          at: T0 + 1,
        });
        expect(log[0]?.detail).toBe(JSON.stringify({ topic: "new" }));
        expect((await store.findRoom(r.id))?.topic).toBe("new");
        expect((await store.auditLog(undefined, 1000)).some((e) => e.id === log[0]?.id)).toBe(true);
      });

      it("stores reports, lists open ones per room and all, and resolves each once, audited", async () => {
        const owner = await user();
        const m = await user();
        const r = await room(owner);
        const id = await store.createReport(r.id, 3, m, "spam", T0);
        const open = await store.reports(r.id, true, 10);
        expect(open).toEqual([
          { id, room: r.id, seq: 3, reporter: m, reason: "spam", createdAt: T0, outcome: "" },
        ]);
        expect((await store.reports(undefined, true, 1000)).some((x) => x.id === id)).toBe(true);
        const by = { actor: owner, reason: "", now: T0 + 1 };
        expect(await store.resolveReport(r.id, id, "banned them", by)).toBe(true);
        expect(await store.resolveReport(r.id, id, "again", by)).toBe(false);
        expect(await store.reports(r.id, true, 10)).toEqual([]);
        expect((await store.reports(r.id, false, 10))[0]).toMatchObject({
          resolvedBy: owner.id,
          resolvedAt: T0 + 1,
          outcome: "banned them",
        });
        expect((await store.auditLog(r.id, 5))[0]?.action).toBe("report_resolve");
      });

      it("deletes a room with its audit row kept", async () => {
        const owner = await user();
        const r = await room(owner);
        expect(
          await store.moderate({
            room: r.id,
            actor: owner,
            act: { action: "delete_room" },
            reason: "done",
            now: T0,
          }),
        ).toBe(true);
        expect(await store.findRoom(r.id)).toBeUndefined();
        expect((await store.auditLog(r.id, 5)).map((e) => e.action)).toEqual(["delete_room"]);
      });
    });
  });
}

const sqliteDir = tempDir("parley-contract-");
contract("SQLite", () => ({
  async open() {
    return new SqliteStore(join(sqliteDir.path, `${fresh("db")}.db`));
  },
  async dispose() {
    sqliteDir.remove();
  },
}));

const pg = await postgresGate();

/** A PostgresStore on a database of its own, dropped with it. */
function postgresBackend(): Backend & { db(): TestDatabase } {
  let db: TestDatabase | undefined;
  return {
    async open() {
      assertReachable("PostgreSQL", pg);
      db = await createTestDatabase();
      return PostgresStore.open({ url: db.url });
    },
    async dispose() {
      await db?.drop();
    },
    db() {
      if (!db) throw new Error("not opened");
      return db;
    },
  };
}

contract("PostgreSQL", postgresBackend, pg.skip);

describe.skipIf(pg.skip)("PostgresStore across nodes", () => {
  let db: TestDatabase;
  let nodes: PostgresStore[] = [];
  let alice: UserRef;
  let bob: UserRef;
  let roomA: number;
  let roomB: number;

  beforeAll(async () => {
    assertReachable("PostgreSQL", pg);
    db = await createTestDatabase();
    // Three nodes start at once on an empty database: the migration lock must serialize them.
    nodes = await Promise.all([1, 2, 3].map(() => PostgresStore.open({ url: db.url, max: 4 })));
    const [n1] = nodes as [PostgresStore];
    const a = await n1.createUser("alice", "h", T0);
    const b = await n1.createUser("bob", "h", T0);
    if (a === "taken" || b === "taken") throw new Error("fresh database has users");
    alice = { id: a.id, name: a.name };
    bob = { id: b.id, name: b.name };
    const ra = await n1.createRoom("alpha", "", alice.id, T0);
    const rb = await n1.createRoom("beta", "", alice.id, T0);
    if (ra === "taken" || rb === "taken") throw new Error("fresh database has rooms");
    roomA = ra.id;
    roomB = rb.id;
    await n1.addMember(roomA, bob.id, T0);
    await n1.addMember(roomB, bob.id, T0);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await db?.drop();
  });

  it("migrates once when three nodes start together", async () => {
    const [n1] = nodes as [PostgresStore];
    const rows = await n1.sql`SELECT version, name FROM parley_migrations ORDER BY version`;
    expect([...rows]).toEqual(postgresMigrations.map(({ version, name }) => ({ version, name })));
  });

  it("opens one DM room when three nodes open the same pair at once", async () => {
    const [n1] = nodes as [PostgresStore];
    for (let round = 0; round < 5; round++) {
      const x = await n1.createUser(`dmx${round}`, "h", T0);
      const y = await n1.createUser(`dmy${round}`, "h", T0);
      if (x === "taken" || y === "taken") throw new Error("fresh database has users");
      const opened = await Promise.all(
        nodes.map((node, n) =>
          n % 2 === 0 ? node.openDm(x.id, y.id, T0) : node.openDm(y.id, x.id, T0),
        ),
      );
      expect(new Set(opened.map((dm) => dm.id)).size).toBe(1);
      expect(opened.filter((dm) => dm.created)).toHaveLength(1);
      expect((await n1.listDms(x.id)).map((dm) => dm.peer)).toEqual([{ id: y.id, name: y.name }]);
      expect((await n1.membersOf(opened[0]?.id ?? 0)).map((u) => u.id).sort()).toEqual(
        [x.id, y.id].sort(),
      );
    }
  });

  it("holds the device maximum when three nodes publish one user's devices at once", async () => {
    const u = await (nodes[0] as PostgresStore).createUser("gadgets", "h", T0);
    if (u === "taken") throw new Error("fresh database has users");
    const max = 4;
    const results = await Promise.all(
      nodes.flatMap((node, n) =>
        [0, 1, 2].map((i) => node.putDevice(u.id, `n${n}d${i}`, `{"d":${n * 3 + i}}`, T0, max)),
      ),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(max);
    expect(results.filter((r) => r === "too-many")).toHaveLength(9 - max);
    expect((await (nodes[1] as PostgresStore).devicesOf([u.id])).get(u.id)).toHaveLength(max);
  });

  it("gives gapless, unique seqs when three nodes append to the same rooms at once", async () => {
    const perNode = 30;
    const work = nodes.map((node, n) =>
      Promise.all(
        Array.from({ length: perNode }, (_, i) => {
          const sender = i % 2 === 0 ? alice : bob;
          // Batches touch both rooms in both orders: locks must be taken in one order.
          const [first, second] = i % 3 === 0 ? [roomB, roomA] : [roomA, roomB];
          return node.append([
            { room: first, sender, cid: `n${n}-${i}-1`, body: "x", ts: T0 },
            { room: second, sender, cid: `n${n}-${i}-2`, body: "y", ts: T0 },
            { room: first, sender, cid: `n${n}-${i}-3`, body: "z", ts: T0 },
          ]);
        }),
      ),
    );
    const results = (await Promise.all(work)).flat(2);
    expect(results.every((r) => r.ok && !r.duplicate)).toBe(true);
    const messages = results.map(sent);
    expect(messages).toHaveLength(nodes.length * perNode * 3);
    for (const roomId of [roomA, roomB]) {
      const acked = messages.filter((m) => m.room === roomId).map((m) => m.seq);
      const count = acked.length;
      const expected = Array.from({ length: count }, (_, i) => i + 1);
      expect(acked.toSorted((a, z) => a - z)).toEqual(expected);
      const stored = await (nodes[2] as PostgresStore).messagesAfter(roomId, 0, count + 10);
      expect(stored.map((m) => m.seq)).toEqual(expected);
      expect((await (nodes[1] as PostgresStore).findRoom(roomId))?.head).toBe(count);
    }
  });

  it("stores a cid sent through three nodes at once exactly once", async () => {
    const before = (await (nodes[0] as PostgresStore).findRoom(roomA))?.head ?? 0;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        nodes.map((node, n) =>
          node.append([
            { room: roomA, sender: bob, cid: `race-${round}-n${n}`, body: "own", ts: T0 },
            { room: roomA, sender: bob, cid: `race-${round}`, body: `via ${n}`, ts: T0 },
          ]),
        ),
      );
      const raced = results.map((r) => r[1]);
      expect(raced.filter((r) => r?.ok && !r.duplicate)).toHaveLength(1);
      const seqs = new Set(raced.map((r) => sent(r).seq));
      const bodies = new Set(raced.map((r) => sent(r).body));
      expect([seqs.size, bodies.size]).toEqual([1, 1]);
    }
    // Per round: three own cids and one raced cid.
    const after = (await (nodes[0] as PostgresStore).findRoom(roomA))?.head;
    expect(after).toBe(before + 5 * 4);
    const stored = await (nodes[0] as PostgresStore).messagesAfter(roomA, before, 100);
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => before + i + 1));
  });

  it("works again after its server connections are terminated", async () => {
    const node = nodes[0] as PostgresStore;
    expect(await terminateConnections(db.name)).toBeGreaterThan(0);
    let result: AppendResult[] | undefined;
    await waitFor(async () => {
      result = await node
        .append([{ room: roomB, sender: bob, cid: "after-kill", body: "k", ts: T0 }])
        .catch(() => undefined);
      return result !== undefined;
    }, "an append after the kill");
    expect(result?.[0]).toMatchObject({ ok: true, duplicate: false });
  });
});

describe.skipIf(pg.skip)("PostgresStore upgrading its schema", () => {
  it("keeps rooms public and messages unsealed when 002 runs on a 001 database", async () => {
    assertReachable("PostgreSQL", pg);
    const db = await createTestDatabase();
    try {
      const old = await PostgresStore.open({
        url: db.url,
        migrations: postgresMigrations.slice(0, 1),
      });
      let roomId: number;
      try {
        const [u] = await old.sql`
          INSERT INTO users (name, name_key, password_hash, created_at)
          VALUES ('dana', 'dana', 'h', ${T0}) RETURNING id`;
        const [r] = await old.sql`
          INSERT INTO rooms (name, name_key, created_by, created_at, last_seq)
          VALUES ('Old', 'old', ${u.id}, ${T0}, 1) RETURNING id`;
        roomId = Number(r.id);
        await old.sql`INSERT INTO members (room_id, user_id, joined_at) VALUES (${r.id}, ${u.id}, ${T0})`;
        await old.sql`
          INSERT INTO messages (room_id, seq, sender_id, client_id, body, ts)
          VALUES (${r.id}, 1, ${u.id}, 'c1', 'plain', ${T0})`;
      } finally {
        await old.close();
      }
      const store = await PostgresStore.open({ url: db.url });
      try {
        expect(await store.findRoomByName("old")).toMatchObject({
          id: roomId,
          kind: "room",
          head: 1,
        });
        const [m] = await store.messagesAfter(roomId, 0, 10);
        expect(m).toMatchObject({ body: "plain", cid: "c1" });
        expect("envelope" in (m as Message)).toBe(false);
        const dana = (await store.findUser("dana")) as UserRecord;
        expect(await store.dmPolicy(dana.id)).toBe("everyone");
        expect(await store.memberships(dana.id)).toEqual([
          { room: roomId, lastRead: 0, unread: 0, mentions: 0 },
        ]);
      } finally {
        await store.close();
      }
    } finally {
      await db.drop();
    }
  });
});

describe.skipIf(pg.skip)("PostgresStore upgrading to files (003)", () => {
  it("keeps a 002 database's messages, without a file, and then stores files", async () => {
    assertReachable("PostgreSQL", pg);
    const db = await createTestDatabase();
    try {
      const old = await PostgresStore.open({
        url: db.url,
        migrations: postgresMigrations.slice(0, 2),
      });
      let u: UserRef;
      let roomId: number;
      try {
        u = (await old.createUser("erin", "h", T0)) as UserRecord;
        // Raw SQL: today's createRoom reads columns a 002 schema does not have yet.
        const [made] = await old.sql`
          INSERT INTO rooms (name, name_key, topic, created_by, created_at)
          VALUES ('Older', 'older', '', ${u.id}, ${T0}) RETURNING id`;
        roomId = Number(made.id);
        await old.sql`INSERT INTO members (room_id, user_id, joined_at) VALUES (${roomId}, ${u.id}, ${T0})`;
        await old.sql`
          INSERT INTO messages (room_id, seq, sender_id, client_id, body, ts)
          VALUES (${roomId}, 1, ${u.id}, 'c1', 'plain', ${T0})`;
        await old.sql`UPDATE rooms SET last_seq = 1 WHERE id = ${roomId}`;
      } finally {
        await old.close();
      }
      const store = await PostgresStore.open({ url: db.url });
      try {
        const [m] = await store.messagesAfter(roomId, 0, 10);
        expect(m).toMatchObject({ body: "plain", cid: "c1" });
        expect("file" in (m as Message)).toBe(false);
        const record = {
          id: "Z".repeat(22),
          room: roomId,
          uploader: u.id,
          sha256: "cd".repeat(32),
          size: 3,
          name: "a.txt",
          type: "text/plain",
          createdAt: T0,
        };
        expect(await store.putFile(record)).toBe("ok");
        expect(await store.findFile(record.id)).toEqual(record);
      } finally {
        await store.close();
      }
    } finally {
      await db.drop();
    }
  });
});

describe.skipIf(pg.skip)("PostgresStore when PostgreSQL is unreachable", () => {
  it("rejects while PostgreSQL is unreachable and works again once it is back", async () => {
    assertReachable("PostgreSQL", pg);
    const db = await createTestDatabase();
    const target = new URL(POSTGRES_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const url = new URL(db.url);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    const store = await PostgresStore.open({ url: url.toString(), max: 2, connectionTimeout: 2 });
    try {
      const u = await store.createUser("carol", "h", T0);
      if (u === "taken") throw new Error("fresh database has users");
      const carol = { id: u.id, name: u.name };
      const r = await store.createRoom("gamma", "", carol.id, T0);
      if (r === "taken") throw new Error("fresh database has rooms");
      const send = (cid: string) =>
        store.append([{ room: r.id, sender: carol, cid, body: "b", ts: T0 }]);
      expect(sent((await send("before"))[0]).seq).toBe(1);

      await proxy.down();
      await expect(send("during")).rejects.toThrow();
      await expect(store.findRoom(r.id)).rejects.toThrow();

      await proxy.up();
      let during: AppendResult[] | undefined;
      await waitFor(async () => {
        during = await send("during").catch(() => undefined);
        return during !== undefined;
      }, "the store to work again");
      // The refused append stored nothing: the retry is new, and the seq has no gap.
      expect(during?.[0]).toMatchObject({ ok: true, duplicate: false, message: { seq: 2 } });
    } finally {
      await store.close();
      await proxy.close();
      await db.drop();
    }
  });
});

describe.skipIf(pg.skip)("PostgresStore on a link that goes silent", () => {
  it("rejects a call that gets no answer with UNAVAILABLE (caused by PostgresTimeoutError), then works on a fresh pool", async () => {
    assertReachable("PostgreSQL", pg);
    const db = await createTestDatabase();
    const target = new URL(POSTGRES_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const url = new URL(db.url);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    const store = await PostgresStore.open({
      url: url.toString(),
      max: 2,
      connectionTimeout: 2,
      timeout: 2,
    });
    try {
      // The server gets its own limits: half the deadline per statement, and a transaction
      // whose client went quiet is ended (its room locks freed) after the deadline.
      const [limits] = await store.sql`
          SELECT current_setting('statement_timeout') AS statement,
                 current_setting('idle_in_transaction_session_timeout') AS idle`;
      expect(limits).toEqual({ statement: "1s", idle: "2s" });
      const u = await store.createUser("erin", "h", T0);
      if (u === "taken") throw new Error("fresh database has users");
      const erin = { id: u.id, name: u.name };
      const r = await store.createRoom("delta", "", erin.id, T0);
      if (r === "taken") throw new Error("fresh database has rooms");
      const send = (cid: string) =>
        store.append([{ room: r.id, sender: erin, cid, body: "b", ts: T0 }]);
      expect(sent((await send("before"))[0]).seq).toBe(1);

      // No FIN, no RST, no bytes: without a deadline these calls would never settle.
      proxy.silence();
      const silent = await store.findRoom(r.id).catch((err) => err);
      expect(silent).toMatchObject({ code: "UNAVAILABLE", retryAfter: 1 });
      expect(silent.cause).toBeInstanceOf(PostgresTimeoutError);
      await expect(send("silent")).rejects.toThrow();

      proxy.speak();
      let retried: AppendResult[] | undefined;
      await waitFor(async () => {
        retried = await send("silent").catch(() => undefined);
        return retried !== undefined;
      }, "the store to work again");
      // Nothing reached the server while silent: the retry is new, and the seq has no gap.
      expect(retried?.[0]).toMatchObject({ ok: true, duplicate: false, message: { seq: 2 } });
    } finally {
      await store.close();
      await proxy.close();
      await db.drop();
    }
  }, 60_000);
});
