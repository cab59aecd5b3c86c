import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Message, ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, api, connect, createRoom, joinRoom, register } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
let alice: Account;
let bob: Account;
let carol: Account;
beforeAll(async () => {
  server = await startTestServer({ rate: 1000, burst: 1000 });
  [alice, bob, carol] = await Promise.all([
    register(server.url),
    register(server.url),
    register(server.url),
  ]);
});
afterAll(() => server.close());

describe("sending", () => {
  it("shows two members each other's messages in order, and nothing to another room", async () => {
    const room = await createRoom(server.url, alice.token);
    const other = await createRoom(server.url, carol.token);
    await joinRoom(server.url, bob.token, room);
    const a = await connect(server.wsUrl, alice.token);
    const b = await connect(server.wsUrl, bob.token);
    const c = await connect(server.wsUrl, carol.token);
    await a.request({ type: "join", room });
    await b.request({ type: "join", room });
    await c.request({ type: "join", room: other });
    // Seq 1 is bob's join, an event of the room's log; joining again on a socket stores nothing,
    // so the messages are seqs 2 to 21.
    for (let i = 0; i < 20; i++) {
      const sender = i % 2 === 0 ? a : b;
      const ack = await sender.request<ServerFrameOf<"ack">>({
        type: "send",
        room,
        cid: `m${i}`,
        body: `hello ${i}`,
      });
      expect(ack).toMatchObject({ type: "ack", seq: i + 2, duplicate: false });
    }
    for (const socket of [a, b]) {
      const got = await socket.waitForMessages(room, 20);
      expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      expect(got.map((m) => m.body)).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i}`));
      expect(got[1]?.from).toEqual(bob.user);
    }
    await Bun.sleep(50);
    expect(c.messages()).toEqual([]);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it("stores and delivers a retried send with the same client id once", async () => {
    const room = await createRoom(server.url, alice.token);
    await joinRoom(server.url, bob.token, room);
    const a = await connect(server.wsUrl, alice.token);
    const b = await connect(server.wsUrl, bob.token);
    await b.request({ type: "join", room });

    const first = await a.request<ServerFrameOf<"ack">>({
      type: "send",
      room,
      cid: "same-id",
      body: "once",
    });
    const retry = await a.request<ServerFrameOf<"ack">>({
      type: "send",
      room,
      cid: "same-id",
      body: "once",
    });
    expect(first.duplicate).toBe(false);
    expect(retry).toMatchObject({ seq: first.seq, ts: first.ts, duplicate: true });

    // Two sends with one id in the same batch: still one message.
    const [x, y] = await Promise.all([
      a.request<ServerFrameOf<"ack">>({ type: "send", room, cid: "batch-id", body: "twice?" }),
      a.request<ServerFrameOf<"ack">>({ type: "send", room, cid: "batch-id", body: "twice?" }),
    ]);
    expect(x.seq).toBe(y.seq);
    expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);

    await a.request({ type: "send", room, cid: "marker", body: "end" });
    const got = await b.waitForMessages(room, 3);
    await Bun.sleep(50);
    expect(b.messages(room).map((m) => m.cid)).toEqual(["same-id", "batch-id", "marker"]);
    const history = await api<{ messages: Message[] }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages`,
      undefined,
      alice.token,
    );
    expect(history.body.messages.map((m) => m.cid)).toEqual(["same-id", "batch-id", "marker"]);
    expect(got.length).toBe(3);
    await Promise.all([a.close(), b.close()]);
  });

  it("refuses empty, blank, over-long, NUL and lone-surrogate bodies with INVALID_MESSAGE, counting code points", async () => {
    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    for (const body of [
      "",
      "   \n\t",
      "x".repeat(4001),
      "😀".repeat(4001),
      "nul\u0000byte",
      "half \ud83d",
    ]) {
      expect(await a.request({ type: "send", room, cid: crypto.randomUUID(), body })).toMatchObject(
        {
          type: "error",
          code: "INVALID_MESSAGE",
        },
      );
    }
    // 4000 emoji are 8000 UTF-16 units but 4000 characters: allowed.
    expect(
      await a.request({ type: "send", room, cid: crypto.randomUUID(), body: "😀".repeat(4000) }),
    ).toMatchObject({ type: "ack" });
    await a.close();
  });

  it("groups sends that arrive together into one durable batch, acking each after the commit", async () => {
    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    const acks = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        a.request<ServerFrameOf<"ack">>({ type: "send", room, cid: `g${i}`, body: `g${i}` }),
      ),
    );
    expect(new Set(acks.map((x) => x.seq)).size).toBe(100);
    const history = await api<{ messages: Message[] }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages?limit=200`,
      undefined,
      alice.token,
    );
    expect(history.body.messages.map((m) => m.seq)).toEqual(
      acks.map((x) => x.seq).sort((p, q) => p - q),
    );
    await a.close();
  });
});

describe("history", () => {
  it("pages by seq before and after, with at most 200 per page", async () => {
    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        a.request({ type: "send", room, cid: `h${i}`, body: `h${i}` }),
      ),
    );
    type Page = { messages: Message[]; more: boolean };
    const get = async (q: string) =>
      (
        await api<Page>(
          server.url,
          "GET",
          `/api/rooms/${room}/messages${q}`,
          undefined,
          alice.token,
        )
      ).body;

    const latest = await get("?limit=100");
    expect(latest.messages.map((m) => m.seq)).toEqual(
      Array.from({ length: 100 }, (_, i) => 151 + i),
    );
    expect(latest.more).toBe(true);
    const older = await get("?before=151&limit=200");
    expect(older.messages.map((m) => m.seq)).toEqual(Array.from({ length: 150 }, (_, i) => 1 + i));
    expect(older.more).toBe(false);
    const after = await get("?after=240");
    expect(after.messages.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 241 + i));
    expect(after.more).toBe(false);

    const tooMany = await api<{ code: string }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages?limit=201`,
      undefined,
      alice.token,
    );
    expect(tooMany).toMatchObject({ status: 400, body: { code: "INVALID" } });
    const both = await api<{ code: string }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages?before=5&after=1`,
      undefined,
      alice.token,
    );
    expect(both.body.code).toBe("INVALID");

    const ws = await a.request<ServerFrameOf<"history">>({ type: "history", room, before: 3 });
    expect(ws.messages.map((m) => m.seq)).toEqual([1, 2]);
    await a.close();
  });

  it("returns recent history on join", async () => {
    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        a.request({ type: "send", room, cid: `j${i}`, body: `j${i}` }),
      ),
    );
    const b = await connect(server.wsUrl, bob.token);
    const joined = await b.request<ServerFrameOf<"joined">>({ type: "join", room });
    // Bob's join is the log's 61st entry, after the 60 messages.
    expect(joined.room.head).toBe(61);
    // The 50 newest entries arrive before the joined reply: 49 messages, then his join.
    const index = b.frames.indexOf(joined);
    const before = b.frames.slice(0, index).filter((f) => f.type === "msg" || f.type === "event");
    expect(before.map((f) => (f as Message).seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => 12 + i),
    );
    expect(before.at(-1)).toMatchObject({ type: "event", kind: "join", from: bob.user });
    await Promise.all([a.close(), b.close()]);
  });
});
