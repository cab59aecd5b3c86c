import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Message, RoomEvent, ServerFrameOf } from "../src/protocol/index.ts";
import { connect, createRoom, joinRoom, register, type TestSocket } from "./support/client.ts";
import { Cluster } from "./support/cluster.ts";
import { type ConversationKind, converse } from "./support/conversation.ts";
import {
  type ChildServer,
  spawnServer,
  startTestServer,
  type TestServer,
  tempDir,
} from "./support/server.ts";
import { assertReachable, postgresGate, redisGate } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

type Ack = ServerFrameOf<"ack">;
type Err = ServerFrameOf<"error">;
type Request = Parameters<TestSocket["request"]>[0];

let server: TestServer | undefined;
const children: ChildServer[] = [];
const dirs: { remove(): void }[] = [];
let cluster: Cluster | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const c of children.splice(0)) await c.kill().catch(() => {});
  for (const d of dirs.splice(0)) d.remove();
  await cluster?.remove();
  cluster = undefined;
});

let n = 0;
const cid = (p: string) => `${p}-${++n}`;

function send(ws: TestSocket, room: number, body: string, extra: object = {}) {
  return ws.request<Ack>({ type: "send", room, cid: cid("m"), body, ...extra } as Request);
}

function change(ws: TestSocket, room: number, fields: object) {
  return ws.request<Ack | Err>({ type: "event", room, cid: cid("e"), ...fields } as Request);
}

/** The entries a socket received for a room, messages and events, in arrival order. */
function log(ws: TestSocket, room: number): (Message | RoomEvent)[] {
  return ws.frames
    .filter(
      (f): f is ServerFrameOf<"msg"> | ServerFrameOf<"event"> =>
        (f.type === "msg" || f.type === "event") && f.room === room,
    )
    .map(({ type: _, ...e }) => e as Message | RoomEvent);
}

/** What a client shows: each message with every event applied, in seq order. */
function fold(entries: readonly (Message | RoomEvent)[]): Map<number, Message> {
  const shown = new Map<number, Message>();
  for (const e of entries) {
    if (!("kind" in e)) {
      shown.set(e.seq, { ...e });
      continue;
    }
    const m = shown.get(e.target ?? -1);
    if (!m) continue;
    if (e.kind === "edit") Object.assign(m, { body: e.body, edited: e.ts });
    if (e.kind === "delete") Object.assign(m, { body: "", deleted: true, reactions: undefined });
    if (e.kind === "react") {
      const all = m.reactions ?? [];
      const r = all.find((x) => x.emoji === e.emoji);
      const users = (r?.users ?? []).filter((u) => u.id !== e.from.id);
      if (e.on) users.push(e.from);
      const rest = all.filter((x) => x.emoji !== e.emoji);
      const next = users.length
        ? [...rest, { emoji: e.emoji as string, count: users.length, users }]
        : rest;
      m.reactions = next.length ? next : undefined;
    }
  }
  return shown;
}

async function waitSeq(ws: TestSocket, room: number, seq: number) {
  await ws.waitFor(
    (f) => (f.type === "msg" || f.type === "event") && f.room === room && f.seq === seq,
  );
}

async function pair() {
  server = await startTestServer({ rate: 100_000, burst: 100_000 });
  const alice = await register(server.url);
  const bob = await register(server.url);
  const room = await createRoom(server.url, alice.token);
  await joinRoom(server.url, bob.token, room);
  const a = await connect(server.wsUrl, alice.token);
  const b = await connect(server.wsUrl, bob.token);
  await a.request({ type: "join", room });
  await b.request({ type: "join", room });
  return { alice, bob, room, a, b };
}

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
      server = await startTestServer({ rate: 100_000, burst: 100_000 });
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
    server = await startTestServer({ rate: 100_000, burst: 100_000, replayMax: 5 });
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
    server = await startTestServer({ rate: 100_000, burst: 100_000, replayMax: 3 });
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

describe("mention counts", () => {
  it("lists a room's unread mentions of the caller next to its unread count", async () => {
    const { room, a, bob } = await pair();
    await send(a, room, `hello @${bob.user.name}`);
    await send(a, room, "no one");
    const listed = await fetch(`${server?.url}/api/rooms`, {
      headers: { authorization: `Bearer ${bob.token}` },
    });
    const rooms = (
      (await listed.json()) as { rooms: { id: number; unread: number; mentions?: number }[] }
    ).rooms;
    expect(rooms.find((r) => r.id === room)).toMatchObject({ unread: 2, mentions: 1 });
  });
});

describe("message events after kill -9", () => {
  it("keeps every acknowledged edit, reaction and delete across a SIGKILL", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = join(dir.path, "parley.db");
    const fast = ["--rate", "100000", "--burst", "100000"];
    const first = await spawnServer({ db, extraArgs: fast });
    children.push(first);
    const alice = await register(first.url);
    const room = await createRoom(first.url, alice.token);
    const a = await connect(first.wsUrl, alice.token);
    await a.request({ type: "join", room });
    const m1 = await send(a, room, "keep me");
    const m2 = await send(a, room, "erase me");
    await change(a, room, { kind: "edit", target: m1.seq, body: "kept, edited" });
    await change(a, room, { kind: "react", target: m1.seq, emoji: "🔥" });
    const last = (await change(a, room, { kind: "delete", target: m2.seq })) as Ack;
    await first.kill();
    const second = await spawnServer({ db, extraArgs: fast });
    children.push(second);
    const b = await connect(second.wsUrl, alice.token);
    const page = await b.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(page.messages.map((x) => [x.body, x.edited !== undefined, x.deleted])).toEqual([
      ["kept, edited", true, undefined],
      ["", false, true],
    ]);
    expect(page.messages[0]?.reactions?.[0]).toMatchObject({ emoji: "🔥", count: 1 });
    // A client that saw only the two messages resumes after the crash: exactly the three events.
    await b.request({ type: "resume", rooms: [{ room, after: m2.seq }] });
    await waitSeq(b, room, last.seq);
    await Bun.sleep(100);
    expect(log(b, room).map((e) => ("kind" in e ? e.kind : "msg"))).toEqual([
      "edit",
      "react",
      "delete",
    ]);
    const next = await send(b, room, "after the crash");
    expect(next.seq).toBe(last.seq + 1);
    const raw = await Bun.file(db)
      .text()
      .catch(() => "");
    expect(raw.includes("erase me")).toBe(false);
  });
});

const pg = await postgresGate();
const redis = await redisGate();

describe.skipIf(pg.skip || redis.skip)("message events across two nodes", () => {
  it("delivers an edit, a reaction and a delete made on one node to a reader on the other", async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
    cluster = await Cluster.create();
    const one = await cluster.node();
    const two = await cluster.node();
    const alice = await register(one.url);
    const bob = await register(two.url);
    const room = await createRoom(one.url, alice.token);
    await joinRoom(two.url, bob.token, room);
    const a = await connect(one.wsUrl, alice.token);
    const b = await connect(two.wsUrl, bob.token);
    await a.request({ type: "join", room });
    await b.request({ type: "join", room });
    const m = await send(a, room, "across");
    await change(a, room, { kind: "edit", target: m.seq, body: "across nodes" });
    await change(b, room, { kind: "react", target: m.seq, emoji: "👋" });
    const del = (await change(a, room, { kind: "delete", target: m.seq })) as Ack;
    await waitSeq(b, room, del.seq);
    await waitSeq(a, room, del.seq);
    for (const ws of [a, b]) {
      expect(log(ws, room).map((e) => ("kind" in e ? e.kind : "msg"))).toEqual([
        "join",
        "msg",
        "edit",
        "react",
        "delete",
      ]);
    }
    const page = await b.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(page.messages[0]).toMatchObject({ deleted: true, body: "" });
  });

  it("carries a DM's sealed edit, reaction and delete from one node to the other, and erases on delete", async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
    cluster = await Cluster.create();
    const one = await cluster.node();
    const two = await cluster.node();
    const c = await converse("dm", one.url, one.wsUrl);
    const a = await connect(one.wsUrl, c.alice.token);
    const b = await connect(two.wsUrl, c.bob.token);
    await a.request({ type: "resume", rooms: [{ room: c.room, after: 0 }] });
    await b.request({ type: "resume", rooms: [{ room: c.room, after: 0 }] });
    const sendSealed = async (cid: string, text: string) =>
      a.request<Ack>({ type: "send", room: c.room, cid, ...(await c.payload(cid, text)) } as never);
    const m1 = await sendSealed("n-1", "sealed one");
    const m2 = await sendSealed("n-2", "sealed two");
    const sealedChange = async (cid: string, kind: "edit" | "react", text: string) =>
      a.request<Ack>({
        type: "event",
        room: c.room,
        cid,
        kind,
        target: m1.seq,
        ...(await c.payload(cid, text)),
      } as never);
    await sealedChange("n-e", "edit", "sealed one, edited");
    await sealedChange("n-r", "react", "👍");
    const del = await a.request<Ack>({
      type: "event",
      room: c.room,
      cid: "n-d",
      kind: "delete",
      target: m2.seq,
    } as never);
    await waitSeq(b, c.room, del.seq);
    const seen = log(b, c.room);
    expect(seen.map((e) => ("kind" in e ? e.kind : "msg"))).toEqual([
      "msg",
      "msg",
      "edit",
      "react",
      "delete",
    ]);
    expect(seen.slice(2, 4).every((e) => (e as RoomEvent).envelope !== undefined)).toBe(true);
    expect((seen[3] as RoomEvent).emoji).toBeUndefined();
    // History on the other node: the edited message carries the edit's envelope, the deleted
    // one none at all.
    const page = await b.request<ServerFrameOf<"history">>({ type: "history", room: c.room });
    const edited = page.messages.find((x) => x.seq === m1.seq);
    expect(edited?.edited).toBeGreaterThan(0);
    expect(edited?.envelope?.id).toBe("n-e");
    expect(page.messages.find((x) => x.seq === m2.seq)).toMatchObject({ deleted: true, body: "" });
    expect(page.messages.find((x) => x.seq === m2.seq)?.envelope).toBeUndefined();
  });
});

describe("GET /api/search", () => {
  async function search(token: string, query: string) {
    const res = await fetch(`${server?.url}/api/search?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("finds the caller's public-room messages newest first, paged, in step with edits and deletes", async () => {
    const { alice, bob, room, a } = await pair();
    const m1 = await send(a, room, "Deploy the walrus on Friday");
    const m2 = await send(a, room, "the walrus deploy went fine");
    const m3 = await send(a, room, "walrus again");
    const first = await search(bob.token, "q=walrus&limit=2");
    expect(first.status).toBe(200);
    const results = first.body.results as { room: number; seq: number; snippet: string }[];
    expect(results.map((r) => r.seq)).toEqual([m3.seq, m2.seq]);
    expect(results[0]).toMatchObject({ room, from: { id: alice.user.id } });
    expect(results[1]?.snippet).toContain("walrus");
    const second = await search(bob.token, `q=walrus&limit=2&before=${first.body.next}`);
    expect((second.body.results as { seq: number }[]).map((r) => r.seq)).toEqual([m1.seq]);
    expect(second.body.next).toBeUndefined();
    await change(a, room, { kind: "delete", target: m1.seq });
    await change(a, room, { kind: "edit", target: m3.seq, body: "an otter" });
    const after = await search(bob.token, `q=WALRUS&room=${room}`);
    expect((after.body.results as { seq: number }[]).map((r) => r.seq)).toEqual([m2.seq]);
    expect(((await search(bob.token, "q=deploy%20fine")).body.results as unknown[]).length).toBe(1);
  });

  it("refuses an empty or too long query with INVALID_SEARCH and another's room with NOT_MEMBER", async () => {
    const { alice, room } = await pair();
    expect((await search(alice.token, "q=%20%20")).body.code).toBe("INVALID_SEARCH");
    expect((await search(alice.token, "")).body.code).toBe("INVALID_SEARCH");
    expect((await search(alice.token, `q=${"x".repeat(201)}`)).body.code).toBe("INVALID_SEARCH");
    const carol = await register(server?.url as string);
    const res = await search(carol.token, `q=hello&room=${room}`);
    expect([res.status, res.body.code]).toEqual([403, "NOT_MEMBER"]);
    expect((await search(carol.token, "q=hello")).body.results).toEqual([]);
  });
});

describe("erasure on the embedded store", () => {
  it("leaves no trace of a deleted message's text in the database file or a later backup", async () => {
    const { SqliteStore } = await import("../db/store-sqlite.ts");
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, "erase.db");
    const store = new SqliteStore(path);
    const u = await store.createUser("eraser", "h", 1);
    if (u === "taken") throw new Error("taken");
    const r = await store.createRoom("erasing", "", u.id, 1);
    if (r === "taken") throw new Error("taken");
    const me = { id: u.id, name: u.name };
    const secret = "xylophone-secret-4711";
    const [m] = await store.append([{ room: r.id, sender: me, cid: "c1", body: secret, ts: 2 }]);
    if (!m?.ok || !m.message) throw new Error("not stored");
    await store.append([
      {
        room: r.id,
        sender: me,
        cid: "c2",
        body: `${secret} v2`,
        ts: 3,
        event: { kind: "edit", target: m.message.seq },
      },
      {
        room: r.id,
        sender: me,
        cid: "c3",
        body: "",
        ts: 4,
        event: { kind: "delete", target: m.message.seq },
      },
    ]);
    store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const backup = join(dir.path, "backup.db");
    store.db.query("VACUUM INTO ?").run(backup);
    await store.close();
    for (const file of [path, `${path}-wal`, backup]) {
      const bytes = await Bun.file(file)
        .bytes()
        .catch(() => new Uint8Array());
      expect(Buffer.from(bytes).includes(secret)).toBe(false);
    }
  });
});
