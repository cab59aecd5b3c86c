/**
 * The store contract, its part for the message log (db/message-log.ts): the append, history and
 * sealed messages. Events are in store-contract-message-events.test.ts and search in
 * store-contract-search.test.ts. Each case runs against SQLite and PostgreSQL
 * (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store } from "../db/store.ts";
import type { UserRef } from "../src/protocol/index.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { envelope, sent, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("the message log", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user, room, req, sealedReq } = c;

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

    it("leaves no hole in the seqs where a repeat was answered", async () => {
      const u = await user();
      const r = await room(u);
      const results = await store.append([
        req(r.id, u, "rep"),
        req(r.id, u, "rep"),
        req(r.id, u, "after"),
      ]);
      expect(results.map((x) => [sent(x).seq, x.ok && x.duplicate])).toEqual([
        [1, false],
        [1, true],
        [2, false],
      ]);
      expect((await store.findRoom(r.id))?.head).toBe(2);
      expect((await store.messagesAfter(r.id, 0, 10)).map((m) => m.seq)).toEqual([1, 2]);
    });

    it("answers a retry as a duplicate even after its sender left the room", async () => {
      const owner = await user();
      const u = await user();
      const r = await room(owner);
      await store.addMember(r.id, u.id, T0);
      const [first] = await store.append([req(r.id, u, "left-later", "said before leaving")]);
      await store.removeMember(r.id, u.id);
      const [again] = await store.append([req(r.id, u, "left-later", "said before leaving")]);
      expect(again).toEqual({ ok: true, duplicate: true, message: sent(first) });
      const [fresh] = await store.append([req(r.id, u, "after-leaving")]);
      expect(fresh).toEqual({ ok: false, code: "NOT_MEMBER" });
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
});
