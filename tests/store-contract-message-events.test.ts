/**
 * The store contract, its part for the message log's events (migration 007): edits, reactions,
 * deletes with erasure, replies, and unread mention counts. Each case runs against SQLite and
 * PostgreSQL (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { AppendRequest, AppendResult, Store } from "../db/store.ts";
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
});
