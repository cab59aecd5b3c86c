/**
 * The store contract, its part for the message log (db/message-log.ts): the append, history,
 * sealed messages, events and search. Each case runs against SQLite and PostgreSQL
 * (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { AppendRequest, AppendResult, Store } from "../db/store.ts";
import type { Message, UserRef } from "../src/protocol/index.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { envelope, fresh, sent, storeContract, T0 } from "./support/store-contract.ts";

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
      // The deleted message is neither unread nor a mention any more.
      expect(mine).toMatchObject({ unread: 2, mentions: 1 });
    });

    it("counts a mention only as a whole @name: not inside a longer name or an address", async () => {
      const a = await user();
      const b2 = await user();
      const r = await room(a);
      await store.addMember(r.id, b2.id, T0);
      const name = b2.name;
      await store.append([
        req(r.id, a, "mw-1", `@${name}x is someone else`),
        req(r.id, a, "mw-2", `write to foo@${name}.com`),
        req(r.id, a, "mw-3", `@${name}-bot is a bot`),
        req(r.id, a, "mw-4", `(@${name.toUpperCase()}) look`),
        req(r.id, a, "mw-5", `@${name}`),
        req(r.id, a, "mw-6", `thanks,@${name}.`),
      ]);
      const mine = (await store.memberships(b2.id)).find((x) => x.room === r.id);
      expect(mine).toMatchObject({ unread: 6, mentions: 3 });
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
});
