import { afterAll, afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { Connection, type Status } from "../../src/client-core/connection.ts";
import type { Message } from "../../src/protocol/index.ts";
import {
  type Account,
  api,
  connect,
  createRoom,
  joinRoom,
  register,
  storedBodies,
  unique,
} from "../support/client.ts";
import { spawnServer, startTestServer, type TestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { GatedClock, until } from "./gated-clock.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** A connection plus everything it reported, for assertions. */
function watch(conn: Connection) {
  const messages: Message[] = [];
  const statuses: Status[] = [];
  const delivered: string[] = [];
  conn.on("message", (m) => messages.push(m));
  conn.on("status", (s) => statuses.push(s));
  conn.on("delivered", (item) => delivered.push(item.body));
  return { messages, statuses, delivered };
}

function expectConsecutive(messages: Message[]): void {
  const seqs = messages.map((m) => m.seq);
  const first = seqs[0] ?? 0;
  expect(seqs).toEqual(seqs.map((_, i) => first + i));
}

describe("Connection against a server that is killed and restarted", () => {
  const dir = tempDir();
  const db = join(dir.path, "parley.db");
  const open: Connection[] = [];
  afterAll(() => dir.remove());
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  it("should deliver every message others sent during the outage once, in order, and send every message typed offline once", async () => {
    // replay-max 3: the 8 messages sent during the outage overflow the replay, so the client
    // must fill the announced gap from history to show them all.
    let server = await spawnServer({ db, extraArgs: ["--replay-max", "3"] });
    const port = Number(new URL(server.url).port);
    try {
      const alice = await register(server.url);
      const bob = await register(server.url);
      const name = unique("r");
      const room = await createRoom(server.url, alice.token, name);
      await joinRoom(server.url, bob.token, room);

      const clock = new GatedClock();
      const conn = new Connection({ server: server.url, token: alice.token, clock });
      open.push(conn);
      const seen = watch(conn);
      conn.start();
      await conn.join(name);

      const bobBefore = await connect(server.wsUrl, bob.token);
      await bobBefore.request({ type: "send", room, cid: "b0", body: "bob before" });
      conn.send(room, "alice before");
      await until(() => seen.messages.length === 2, "the messages before the outage");

      clock.held = true; // alice's reconnect timer waits until release()
      await server.kill();
      await until(
        () => seen.statuses.some((s) => s.kind === "reconnecting"),
        "the reconnecting status",
      );
      for (const n of [1, 2, 3]) conn.send(room, `alice offline ${n}`);
      expect(conn.pending().map((i) => i.body)).toEqual([
        "alice offline 1",
        "alice offline 2",
        "alice offline 3",
      ]);

      server = await spawnServer({ db, port, extraArgs: ["--replay-max", "3"] });
      const bobDuring = await connect(server.wsUrl, bob.token);
      for (let n = 1; n <= 8; n++) {
        const ack = await bobDuring.request({
          type: "send",
          room,
          cid: `b${n}`,
          body: `bob during ${n}`,
        });
        expect(ack.type).toBe("ack");
      }
      expect(seen.messages.map((m) => m.body)).not.toContain("bob during 1");

      clock.release();
      await until(() => seen.delivered.length === 4, "the offline messages to be delivered");
      await until(() => seen.messages.length === 2 + 8 + 3, "every message to arrive");

      const bodies = seen.messages.map((m) => m.body);
      expect(bodies).toEqual([
        "bob before",
        "alice before",
        ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `bob during ${n}`),
        "alice offline 1",
        "alice offline 2",
        "alice offline 3",
      ]);
      expectConsecutive(seen.messages);
      const back = seen.statuses.find((s) => s.kind === "back-online");
      expect(back).toEqual({ kind: "back-online", caughtUp: 8 });
      expect(conn.pending()).toHaveLength(0);
      expect(await storedBodies(server.url, alice.token, room)).toEqual(bodies);
    } finally {
      await server.kill();
    }
  });

  it("should store each message once when the server dies between commit and ack", async () => {
    let server = await spawnServer({ db: join(dir.path, "acks.db") });
    const port = Number(new URL(server.url).port);
    try {
      const alice = await register(server.url);
      const name = unique("r");
      const room = await createRoom(server.url, alice.token, name);
      const conn = new Connection({ server: server.url, token: alice.token });
      open.push(conn);
      const seen = watch(conn);
      conn.start();
      await conn.join(name);

      const typed = Array.from({ length: 30 }, (_, i) => `burst ${i + 1}`);
      for (const body of typed) conn.send(room, body);
      await until(() => seen.delivered.length >= 3, "the first acks");
      await server.kill(); // some sends are committed but unacked, some not sent at all
      server = await spawnServer({ db: join(dir.path, "acks.db"), port });

      await until(() => seen.delivered.length === typed.length, "every message to be delivered");
      await until(() => seen.messages.length === typed.length, "every message to come back");
      expect(seen.messages.map((m) => m.body)).toEqual(typed);
      expectConsecutive(seen.messages);
      expect(await storedBodies(server.url, alice.token, room)).toEqual(typed);
    } finally {
      await server.kill();
    }
  });
});

describe("Connection against an in-process server", () => {
  let server: TestServer;
  let alice: Account;
  const open: Connection[] = [];
  beforeAll(async () => {
    server = await startTestServer({ rate: 2, burst: 4, signupBurst: 20 });
    alice = await register(server.url);
  });
  afterAll(() => server.close());
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  function connection(token: string): Connection {
    const conn = new Connection({ server: server.url, token });
    open.push(conn);
    return conn;
  }

  it("should show the recent history on join, oldest first, then live messages", async () => {
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    const bob = await register(server.url);
    await joinRoom(server.url, bob.token, room);
    const bobSocket = await connect(server.wsUrl, bob.token);
    await bobSocket.request({ type: "send", room, cid: "h1", body: "old 1" });
    await bobSocket.request({ type: "send", room, cid: "h2", body: "old 2" });

    const conn = connection(alice.token);
    const seen = watch(conn);
    conn.start();
    const joined = await conn.join(name.toUpperCase());
    expect(joined.id).toBe(room);
    expect(seen.messages.map((m) => m.body)).toEqual(["old 1", "old 2"]);
    await bobSocket.request({ type: "send", room, cid: "h3", body: "new" });
    await until(() => seen.messages.length === 3, "the live message");
    expect(seen.messages.map((m) => m.body)).toEqual(["old 1", "old 2", "new"]);
  });

  it("should attach every joined room with one resume, within a burst of 4, each from its recent messages", async () => {
    const bob = await register(server.url);
    const rooms: number[] = [];
    for (let i = 0; i < 6; i++) {
      const room = await createRoom(server.url, bob.token, unique("r"));
      await joinRoom(server.url, alice.token, room);
      rooms.push(room);
    }
    // bob sends within his own rate: a socket per room.
    const bobSockets = await Promise.all(rooms.map(() => connect(server.wsUrl, bob.token)));
    for (const [i, room] of rooms.entries()) {
      await bobSockets[i]?.request({ type: "send", room, cid: `a${i}-1`, body: `old ${i}` });
    }
    const conn = connection(alice.token);
    const seen = watch(conn);
    conn.start();
    const listed = (await conn.listRooms()).filter((r) => rooms.includes(r.id));
    // One request for six rooms: a join each would pass the burst of 4 and be RATE_LIMITED.
    const refused = await conn.attachAll(listed, { recent: 1 });
    expect(refused).toEqual([]);
    expect(
      conn
        .joinedRooms()
        .map((r) => r.id)
        .sort(),
    ).toEqual([...rooms].sort());
    await until(() => seen.messages.length === 6, "each room's recent message");
    for (const [i, room] of rooms.entries()) {
      await bobSockets[i]?.request({ type: "send", room, cid: `a${i}-2`, body: `new ${i}` });
    }
    await until(() => seen.messages.length === 12, "the live messages");
    expect(seen.messages.map((m) => m.body).sort()).toEqual(
      rooms.flatMap((_, i) => [`new ${i}`, `old ${i}`]).sort(),
    );
    for (const socket of bobSockets) socket.close();
  });

  it("should retry a RATE_LIMITED send after retryAfter, keeping the typed order", async () => {
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    const conn = connection(alice.token);
    const seen = watch(conn);
    conn.start();
    await conn.join(name);
    const typed = ["one", "two", "three", "four", "five", "six"];
    for (const body of typed) conn.send(room, body);
    await until(() => seen.delivered.length === typed.length, "all sends to be delivered");
    expect(seen.delivered).toEqual(typed);
    expect(await storedBodies(server.url, alice.token, room)).toEqual(typed);
  });

  it("should pace a burst of sends to hello.limits: none refused with RATE_LIMITED, the socket kept", async () => {
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    // The real WebSocket, counting the refusals the server sends.
    let refused = 0;
    class CountingSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener("message", (e) => {
          if (String(e.data).includes('"RATE_LIMITED"')) refused++;
        });
      }
    }
    const conn = new Connection({
      server: server.url,
      token: alice.token,
      WebSocket: CountingSocket,
    });
    open.push(conn);
    const seen = watch(conn);
    conn.start();
    await conn.join(name);
    const typed = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
    for (const body of typed) conn.send(room, body);
    await until(() => seen.delivered.length === typed.length, "all sends to be delivered");
    expect(seen.delivered).toEqual(typed);
    expect(seen.statuses.filter((st) => st.kind === "reconnecting")).toEqual([]);
    expect(refused).toBe(0);
    expect(await storedBodies(server.url, alice.token, room)).toEqual(typed);
  });

  it("should refuse a join of a room that does not exist with ROOM_NOT_FOUND", async () => {
    const conn = connection(alice.token);
    conn.start();
    await expect(conn.join("no-such-room")).rejects.toMatchObject({ code: "ROOM_NOT_FOUND" });
  });

  it("should stop with session-ended when the session is logged out elsewhere", async () => {
    const carol = await register(server.url);
    const conn = connection(carol.token);
    const seen = watch(conn);
    conn.start();
    await conn.ready();
    await api(server.url, "POST", "/api/logout", undefined, carol.token);
    await until(() => conn.state === "closed", "the connection to stop");
    expect(seen.statuses.at(-1)).toMatchObject({ kind: "stopped", reason: "session-ended" });
  });

  it("should stop with session-ended, not retry forever, when the saved token is refused", async () => {
    const conn = connection("not-a-real-token");
    const seen = watch(conn);
    conn.start();
    await expect(conn.ready()).rejects.toMatchObject({ code: "STOPPED" });
    expect(seen.statuses.at(-1)).toMatchObject({ kind: "stopped", reason: "session-ended" });
  });
});
