/**
 * Message events on a real server: edits, reactions and deletes acked with their own seqs,
 * refused with codes, idempotent on retry, folded into history pages, replayed on resume and
 * filled across a gap.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { RoomEvent, ServerFrameOf } from "../src/protocol/index.ts";
import { connect, createRoom, register, type TestSocket } from "./support/client.ts";
import { type ConversationKind, converse } from "./support/conversation.ts";
import {
  type Ack,
  change,
  cid,
  type Err,
  eventServer,
  fold,
  log,
  messageEventsSuite,
  pair,
  type Request,
  send,
  server,
  waitSeq,
} from "./support/message-events.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

messageEventsSuite();

describe("message events", () => {
  it("acks an edit, a reaction and a delete with their own seqs and delivers them in order", async () => {
    const { room, a, b } = await pair();
    const m = await send(a, room, "hello wrld");
    const edit = (await change(a, room, {
      kind: "edit",
      target: m.seq,
      body: "hello world",
    })) as Ack;
    const react = (await change(b, room, { kind: "react", target: m.seq, emoji: "👍" })) as Ack;
    const del = (await change(a, room, { kind: "delete", target: m.seq })) as Ack;
    expect([edit.seq, react.seq, del.seq]).toEqual([m.seq + 1, m.seq + 2, m.seq + 3]);
    await waitSeq(b, room, del.seq);
    // The events about the message (bob's join, before it, is an event of the log too).
    const events = log(b, room).filter((e) => "kind" in e && e.seq > m.seq);
    expect(events.map((e) => [e.seq, (e as RoomEvent).kind])).toEqual([
      [edit.seq, "edit"],
      [react.seq, "react"],
      [del.seq, "delete"],
    ]);
    expect(events[0]).toMatchObject({ target: m.seq, body: "hello world" });
    expect(events[1]).toMatchObject({ target: m.seq, emoji: "👍", on: true });
  });

  it("refuses each bad change with its own code and stores nothing", async () => {
    const { room, a, b } = await pair();
    const m = await send(a, room, "mine");
    const code = async (ws: TestSocket, fields: object) =>
      ((await change(ws, room, fields)) as Err).code;
    expect(await code(b, { kind: "edit", target: m.seq, body: "not yours" })).toBe("NOT_AUTHOR");
    expect(await code(b, { kind: "delete", target: m.seq })).toBe("DELETE_FORBIDDEN");
    expect(await code(a, { kind: "edit", target: 999, body: "x" })).toBe("MESSAGE_NOT_FOUND");
    expect(await code(a, { kind: "edit", target: m.seq, body: " " })).toBe("INVALID_MESSAGE");
    expect(await code(a, { kind: "edit", target: m.seq, body: "x".repeat(4001) })).toBe(
      "INVALID_MESSAGE",
    );
    expect(await code(a, { kind: "react", target: m.seq, emoji: "yes" })).toBe("INVALID_REACTION");
    expect(await code(a, { kind: "react", target: m.seq, emoji: "<b>" })).toBe("INVALID_REACTION");
    const reply = await a.request<Err>({
      type: "send",
      room,
      cid: cid("r"),
      body: "re",
      reply: 999,
    });
    expect(reply.code).toBe("REPLY_NOT_FOUND");
    const outsider = await register(server?.url as string);
    const o = await connect(server?.wsUrl as string, outsider.token);
    expect(
      ((await change(o, room, { kind: "react", target: m.seq, emoji: "👍" })) as Err).code,
    ).toBe("NOT_MEMBER");
    await change(a, room, { kind: "delete", target: m.seq });
    expect(await code(a, { kind: "edit", target: m.seq, body: "again" })).toBe("MESSAGE_DELETED");
    const page = await a.request<ServerFrameOf<"history">>({ type: "history", room, after: 0 });
    expect(page.messages.map((x) => x.seq)).toEqual([m.seq]);
    // A forward page is the whole stretch of the log: bob's join, the message, its deletion.
    expect(page.events?.map((e) => e.kind)).toEqual(["join", "delete"]);
  });

  it("answers a retried event with the same seq and applies it once", async () => {
    const { room, a, b } = await pair();
    const m = await send(a, room, "hi");
    const frame = {
      type: "event",
      room,
      cid: "same-react",
      kind: "react",
      target: m.seq,
      emoji: "🎉",
    };
    const first = await b.request<Ack>(frame as Request);
    const again = await b.request<Ack>(frame as Request);
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    const page = await a.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(page.messages[0]?.reactions).toEqual([
      { emoji: "🎉", count: 1, users: [expect.objectContaining({ name: expect.any(String) })] },
    ]);
  });

  it("shows a backward history page in current state, with the room's own events and no message events", async () => {
    const { room, a, b, bob } = await pair();
    const m1 = await send(a, room, "one");
    const m2 = await send(a, room, "two");
    const quoted = await send(b, room, "answer", { reply: m1.seq });
    await change(a, room, { kind: "edit", target: m1.seq, body: "one, edited" });
    await change(b, room, { kind: "react", target: m2.seq, emoji: "👍" });
    await change(a, room, { kind: "delete", target: m2.seq });
    const page = await b.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(page.events?.map((e) => [e.kind, e.from.name])).toEqual([["join", bob.user.name]]);
    expect(page.messages.map((x) => [x.seq, x.body, x.edited !== undefined, x.deleted])).toEqual([
      [m1.seq, "one, edited", true, undefined],
      [m2.seq, "", false, true],
      [quoted.seq, "answer", false, undefined],
    ]);
    expect(page.messages[2]?.reply).toEqual({
      seq: m1.seq,
      from: expect.objectContaining({ id: expect.any(Number) }),
      excerpt: "one, edited",
    });
    expect(page.messages[1]?.reactions).toBeUndefined();
  });

  for (const kind of ["room", "dm"] as ConversationKind[]) {
    it(`brings a client that was offline to the final state on resume, each event once (${kind})`, async () => {
      await eventServer();
      const c = await converse(kind, server.url, server.wsUrl);
      const a = await connect(server.wsUrl, c.alice.token);
      const b1 = await connect(server.wsUrl, c.bob.token);
      await a.request({ type: "resume", rooms: [{ room: c.room, after: 0 }] });
      await b1.request({ type: "resume", rooms: [{ room: c.room, after: 0 }] });
      const sendFrame = async (id: string, text: string) =>
        ({ type: "send", room: c.room, cid: id, ...(await c.payload(id, text)) }) as Request;
      const m1 = await a.request<Ack>(await sendFrame("off-1", "first"));
      const m2 = await a.request<Ack>(await sendFrame("off-2", "second"));
      await waitSeq(b1, c.room, m2.seq);
      await b1.close();
      // Bob is offline: the first is edited and reacted to, the second deleted.
      const sealed = async (id: string, text: string) =>
        kind === "dm" ? await c.payload(id, text) : {};
      const edit = await a.request<Ack>({
        type: "event",
        room: c.room,
        cid: "off-e",
        kind: "edit",
        target: m1.seq,
        ...(kind === "room" ? { body: "first, edited" } : await sealed("off-e", "first, edited")),
      } as Request);
      const react = await a.request<Ack>({
        type: "event",
        room: c.room,
        cid: "off-r",
        kind: "react",
        target: m1.seq,
        ...(kind === "room" ? { emoji: "👍" } : await sealed("off-r", "👍")),
      } as Request);
      const del = await a.request<Ack>({
        type: "event",
        room: c.room,
        cid: "off-d",
        kind: "delete",
        target: m2.seq,
      } as Request);
      expect([edit.seq, react.seq, del.seq]).toEqual([m2.seq + 1, m2.seq + 2, m2.seq + 3]);

      const b2 = await connect(server.wsUrl, c.bob.token);
      await b2.request({ type: "resume", rooms: [{ room: c.room, after: m2.seq }] });
      await waitSeq(b2, c.room, del.seq);
      await Bun.sleep(100);
      const entries = log(b2, c.room);
      expect(entries.map((e) => e.seq)).toEqual([edit.seq, react.seq, del.seq]);
      const before = fold([
        ...log(a, c.room).filter((e) => e.seq <= m2.seq && !("kind" in e)),
        ...entries,
      ]);
      expect(before.get(m2.seq)).toMatchObject({ deleted: true, body: "" });
      if (kind === "room") {
        expect(before.get(m1.seq)).toMatchObject({
          body: "first, edited",
          reactions: [{ emoji: "👍", count: 1 }],
        });
      } else {
        // Sealed: the server saw only that an edit and a reaction target seq m1.
        expect(entries[0]).toMatchObject({
          kind: "edit",
          target: m1.seq,
          envelope: expect.any(Object),
        });
        expect(entries[1]).toMatchObject({
          kind: "react",
          target: m1.seq,
          envelope: expect.any(Object),
        });
        expect((entries[1] as RoomEvent).emoji).toBeUndefined();
      }
      // A fresh client loading history needs no events: the page is the final state.
      const page = await b2.request<ServerFrameOf<"history">>({ type: "history", room: c.room });
      expect(page.messages.find((x) => x.seq === m2.seq)).toMatchObject({ deleted: true });
      expect(page.messages.find((x) => x.seq === m2.seq)?.envelope).toBeUndefined();
      expect(page.messages.find((x) => x.seq === m1.seq)?.edited).toBeGreaterThan(0);
    });
  }

  it("announces a gap past the replay bound and fills it, events included, from history", async () => {
    await eventServer({ replayMax: 5 });
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    await a.request({ type: "join", room });
    const m = await send(a, room, "target");
    for (let i = 0; i < 8; i++)
      await change(a, room, { kind: "edit", target: m.seq, body: `v${i}` });
    const b = await connect(server.wsUrl, alice.token);
    await b.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const gap = (await b.waitFor((f) => f.type === "gap")) as ServerFrameOf<"gap">;
    expect(gap).toMatchObject({ from: 1, to: m.seq + 3 });
    const fill = await b.request<ServerFrameOf<"history">>({
      type: "history",
      room,
      after: 0,
      limit: gap.to,
    });
    const seqs = [...fill.messages, ...(fill.events ?? [])].map((e) => e.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: gap.to }, (_, i) => i + 1));
    expect(log(b, room).map((e) => e.seq)).toEqual([5, 6, 7, 8, 9]);
  });

  it("fills a gap holding reactions and a delete: folded, the filled stretch is the final state", async () => {
    await eventServer({ replayMax: 3 });
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    await a.request({ type: "join", room });
    const kept = await send(a, room, "kept");
    const gone = await send(a, room, "gone");
    await change(a, room, { kind: "react", target: kept.seq, emoji: "👍" });
    await change(a, room, { kind: "react", target: kept.seq, emoji: "🎉" });
    await change(a, room, { kind: "react", target: kept.seq, emoji: "👍", on: false });
    await change(a, room, { kind: "react", target: gone.seq, emoji: "👀" });
    await change(a, room, { kind: "delete", target: gone.seq });
    const last = (await change(a, room, { kind: "edit", target: kept.seq, body: "kept!" })) as Ack;
    const b = await connect(server.wsUrl, alice.token);
    await b.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const gap = (await b.waitFor((f) => f.type === "gap")) as ServerFrameOf<"gap">;
    const fill = await b.request<ServerFrameOf<"history">>({
      type: "history",
      room,
      after: gap.from - 1,
      limit: gap.to - gap.from + 1,
    });
    await waitSeq(b, room, last.seq);
    const stretch = [...fill.messages, ...(fill.events ?? [])].sort((x, y) => x.seq - y.seq);
    const entries = [...stretch, ...log(b, room)];
    // Every seq once, in order: the gap's from history, the rest replayed.
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: last.seq }, (_, i) => i + 1));
    const shown = fold(entries);
    expect(shown.get(kept.seq)).toMatchObject({
      body: "kept!",
      reactions: [{ emoji: "🎉", count: 1 }],
    });
    expect(shown.get(gone.seq)).toMatchObject({ body: "", deleted: true });
    expect(shown.get(gone.seq)?.reactions).toBeUndefined();
  });
});
