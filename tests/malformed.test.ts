import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrame, ServerFrameOf } from "../src/protocol/index.ts";
import {
  type Account,
  connect,
  createRoom,
  joinRoom,
  register,
  type TestSocket,
} from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
let alice: Account;
let bob: Account;
let room: number;
beforeAll(async () => {
  server = await startTestServer({ rate: 100_000, burst: 100_000 });
  alice = await register(server.url);
  bob = await register(server.url);
  room = await createRoom(server.url, alice.token);
  await joinRoom(server.url, bob.token, room);
});
afterAll(() => server.close());

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

/** [what it is, the raw frame, the code it must get, the ref it must quote]. */
const corpus: [string, string | Uint8Array<ArrayBuffer>, string, string?][] = [
  ["not JSON", "hello there", "BAD_FRAME"],
  ["truncated JSON", '{"type":"send","id":"1"', "BAD_FRAME"],
  ["a JSON array", "[1,2,3]", "BAD_FRAME"],
  ["JSON null", "null", "BAD_FRAME"],
  ["a JSON number", "42", "BAD_FRAME"],
  ["a JSON string", '"send"', "BAD_FRAME"],
  ["no type", '{"id":"a1"}', "INVALID", "a1"],
  ["a numeric type", '{"type":5,"id":"a2"}', "INVALID", "a2"],
  ["an unknown type", '{"type":"launch","id":"a3"}', "UNKNOWN_TYPE", "a3"],
  ["a prototype key as type", '{"type":"__proto__","id":"a4"}', "UNKNOWN_TYPE", "a4"],
  ["an inherited key as type", '{"type":"constructor","id":"a5"}', "UNKNOWN_TYPE", "a5"],
  ["send without fields", '{"type":"send","id":"a6"}', "INVALID", "a6"],
  [
    "send with a string room",
    '{"type":"send","id":"a7","room":"1","cid":"c","body":"b"}',
    "INVALID",
    "a7",
  ],
  [
    "send with a fractional room",
    '{"type":"send","id":"a8","room":1.5,"cid":"c","body":"b"}',
    "INVALID",
    "a8",
  ],
  [
    "send with a huge room number",
    '{"type":"send","id":"a9","room":1e400,"cid":"c","body":"b"}',
    "INVALID",
    "a9",
  ],
  [
    "send with a negative room",
    '{"type":"send","id":"b1","room":-3,"cid":"c","body":"b"}',
    "INVALID",
    "b1",
  ],
  [
    "send with an object body",
    '{"type":"send","id":"b2","room":1,"cid":"c","body":{"x":1}}',
    "INVALID",
    "b2",
  ],
  [
    "send with an empty client id",
    '{"type":"send","id":"b3","room":1,"cid":"","body":"b"}',
    "INVALID",
    "b3",
  ],
  ["a request id that is too long", `{"type":"ping","id":"${"i".repeat(65)}"}`, "INVALID"],
  ["history with limit 201", '{"type":"history","id":"b4","room":1,"limit":201}', "INVALID", "b4"],
  [
    "join with both room and name",
    '{"type":"join","id":"b5","room":1,"name":"x"}',
    "INVALID",
    "b5",
  ],
  [
    "resume with 1001 rooms",
    JSON.stringify({ type: "resume", id: "b6", rooms: Array(1001).fill({ room: 1, after: 0 }) }),
    "INVALID",
    "b6",
  ],
  [
    "an oversize frame",
    JSON.stringify({ type: "send", id: "b7", room: 1, cid: "c", body: "x".repeat(40_000) }),
    "FRAME_TOO_LARGE",
  ],
  [
    "a 1 MB string",
    JSON.stringify({ type: "send", id: "b8", room: 1, cid: "c", body: "y".repeat(1_000_000) }),
    "FRAME_TOO_LARGE",
  ],
  ["deep nesting", deep(15_000), "BAD_FRAME"],
  [
    "deep nesting inside a field",
    `{"type":"send","id":"b9","room":${deep(10_000)},"cid":"c","body":"b"}`,
    "INVALID",
    "b9",
  ],
  ["a binary frame", new Uint8Array([0x7b, 0x7d, 0, 1, 2, 255]), "BAD_FRAME"],
  [
    "a client id with a lone surrogate",
    '{"type":"send","id":"c2","room":1,"cid":"x\\ud800","body":"b"}',
    "INVALID",
    "c2",
  ],
  ["a lone surrogate in the type", '{"type":"\\ud800","id":"c1"}', "UNKNOWN_TYPE", "c1"],
];

describe("malformed frames", () => {
  it("answer every frame of the corpus with its coded error, keep the connection, and change nothing", async () => {
    const watcher = await connect(server.wsUrl, bob.token);
    await watcher.request({ type: "join", room });
    const sender = await connect(server.wsUrl, alice.token);
    let sent = 0;
    const traffic = (async () => {
      while (sent < 200) {
        await sender.request({ type: "send", room, cid: `live${sent}`, body: `live ${sent}` });
        sent++;
      }
    })();

    // One connection per few frames: a burst of invalid frames is itself abuse (tested below).
    let ws: TestSocket | undefined;
    for (const [i, [what, frame, code, ref]] of corpus.entries()) {
      if (i % 5 === 0) {
        await ws?.close();
        ws = await connect(server.wsUrl, alice.token);
      }
      const socket = ws as TestSocket;
      const count = socket.frames.length;
      socket.raw(frame);
      const reply = await socket.waitFor(
        (f) => f.type === "error" && socket.frames.indexOf(f) >= count,
      );
      expect({ what, code: (reply as ServerFrameOf<"error">).code }).toEqual({ what, code });
      expect(reply).toEqual({
        type: "error",
        code: expect.any(String),
        message: expect.any(String),
        ...(ref ? { ref } : {}),
      });
      // Still connected and answering.
      expect(await socket.request({ type: "ping" })).toMatchObject({ type: "pong" });
    }
    await ws?.close();

    await traffic;
    // The bystander saw every live message, in order, and nothing else.
    const got = await watcher.waitForMessages(room, 200);
    expect(got.map((m) => m.body)).toEqual(Array.from({ length: 200 }, (_, i) => `live ${i}`));
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    await Promise.all([watcher.close(), sender.close()]);
  });

  it("closes a connection that keeps sending garbage with 1008, and only that one", async () => {
    const bystander = await connect(server.wsUrl, bob.token);
    const ws = await connect(server.wsUrl, alice.token);
    for (let i = 0; i < 30; i++) ws.raw(`garbage ${i}`);
    const closed = await ws.closed;
    expect(closed.code).toBe(1008);
    expect(ws.frames.filter((f: ServerFrame) => f.type === "error").length).toBeGreaterThanOrEqual(
      10,
    );
    expect(await bystander.request({ type: "ping" })).toMatchObject({ type: "pong" });
    await bystander.close();
  });

  it("closes a frame larger than 1 MiB with 1009", async () => {
    const ws = await connect(server.wsUrl, alice.token);
    ws.raw("z".repeat(1024 * 1024 + 1));
    expect((await ws.closed).code).toBe(1009);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("rate-limits a flood with RATE_LIMITED and a retry time, quoting the request", async () => {
    const s = await startTestServer({ rate: 5, burst: 5 });
    try {
      const carol = await register(s.url);
      const ws = await connect(s.wsUrl, carol.token);
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, i) => ws.request({ type: "ping", id: `p${i}` })),
      );
      expect(replies.filter((r) => r.type === "pong").length).toBe(5);
      expect(replies.filter((r) => r.type === "error")).toContainEqual({
        type: "error",
        ref: "p7",
        code: "RATE_LIMITED",
        message: expect.any(String),
        retryAfter: 1,
      });
      await ws.close();
    } finally {
      await s.close();
    }
  });
});

describe("malformed HTTP requests", () => {
  it("answer with coded JSON errors", async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(server.url + path, {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${alice.token}`, ...headers },
      });
    const bad = await post("/api/login", "{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "INVALID" });
    const big = await post("/api/rooms", JSON.stringify({ name: "x".repeat(100_000) }), {
      "content-type": "application/json",
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: "BODY_TOO_LARGE" });
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "NOT_FOUND" });
    const badRoom = await fetch(`${server.url}/api/rooms/abc/messages`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(await badRoom.json()).toMatchObject({ code: "INVALID" });
  });
});
