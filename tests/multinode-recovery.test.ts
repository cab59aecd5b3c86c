/**
 * Many nodes under failure: each test breaks real node processes, PostgreSQL or Redis the way a
 * review did (kill -9, CLIENT PAUSE, pg_terminate_backend, held row locks) and checks that no
 * stored message goes unannounced, no room stalls another, and controls reach every node.
 */
import { afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { RedisClient } from "bun";
import { Connection } from "../src/client-core/connection.ts";
import { CLOSE, type ServerFrame, type ServerFrameOf } from "../src/protocol/index.ts";
import { api, connect, createRoom, joinRoom, type Request, register } from "./support/client.ts";
import { type Cluster, ClusterScope, reader } from "./support/cluster.ts";
import { startPostgres, startRedis } from "./support/instances.ts";
import {
  assertReachable,
  postgresGate,
  REDIS_URL,
  redisGate,
  waitFor,
} from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const pg = await postgresGate();
const redis = await redisGate();

const scope = new ClusterScope();

async function createRoomNamed(base: string, token: string, name: string): Promise<number> {
  const res = await api<{ room: { id: number } }>(base, "POST", "/api/rooms", { name }, token);
  return res.body.room.id;
}

/** The pids of the test database's backends waiting on a lock (the node's append). */
async function lockWaiters(c: Cluster): Promise<number[]> {
  const sql = c.sql();
  try {
    const rows = await sql`
      SELECT pid FROM pg_stat_activity
      WHERE datname = ${c.database.name} AND wait_event_type = 'Lock'`;
    return (rows as { pid: number }[]).map((r) => r.pid);
  } finally {
    await sql.close({ timeout: 0 });
  }
}

describe.skipIf(pg.skip || redis.skip)("many nodes under failure", () => {
  beforeAll(() => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
  });
  afterEach(() => scope.remove());

  it("announces messages whose node died before publishing them, with no later message", async () => {
    // A Redis of our own: CLIENT PAUSE stops every client of a server, never the shared one.
    const own = await startRedis();
    scope.instances.push(own);
    const cluster = await scope.create();
    const a = await cluster.node({ redisUrl: own.url });
    const b = await cluster.node({ redisUrl: own.url });
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token);
    await joinRoom(b.url, bob.token, room);
    const onB = await reader(b.wsUrl, bob.token, room);
    const writer = await reader(a.wsUrl, alice.token, room);
    await writer.request({ type: "send", room, cid: "first", body: "before" });
    await onB.waitForMessages(room, 1, 20_000);

    const admin = new RedisClient(own.url);
    await admin.send("CLIENT", ["PAUSE", "3000", "WRITE"]);
    for (let i = 0; i < 6; i++) {
      const ack = await writer.request({ type: "send", room, cid: `p${i}`, body: `paused ${i}` });
      expect(ack.type).toBe("ack");
    }
    await a.kill();
    admin.close();
    // Nobody writes again: node B must find the six acked messages by itself.
    const got = await onB.waitForMessages(room, 7, 30_000);
    // Seq 1 is bob's join, an event of the log: the messages are 2 to 8, each once.
    expect(got.map((m) => m.seq)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(onB.entrySeqs(room)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("delivers a message stored behind the node's back to every socket when its retry is acked as a duplicate", async () => {
    const cluster = await scope.create();
    const a = await cluster.node();
    const b = await cluster.node();
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token);
    await joinRoom(b.url, bob.token, room);
    const sender = await reader(a.wsUrl, alice.token, room);
    const onB = await reader(b.wsUrl, bob.token, room);
    // As when a commit outlives its deadline: the send was answered UNAVAILABLE, yet it commits
    // (as seq 2: seq 1 is bob's join, an event of the log).
    const sql = cluster.sql();
    await sql.begin(async (tx) => {
      await tx`
        INSERT INTO messages (room_id, seq, sender_id, client_id, body, sealed, ts)
        VALUES (${room}, 2, ${alice.user.id}, 'late', 'committed late', false, ${Date.now()})`;
      await tx`UPDATE rooms SET last_seq = 2 WHERE id = ${room}`;
    });
    await sql.close({ timeout: 0 });
    const retry = await sender.request<ServerFrameOf<"ack">>({
      type: "send",
      room,
      cid: "late",
      body: "committed late",
    });
    expect(retry).toMatchObject({ type: "ack", seq: 2, duplicate: true });
    for (const ws of [sender, onB]) {
      const [m] = await ws.waitForMessages(room, 1, 20_000);
      expect(m).toMatchObject({ seq: 2, cid: "late", body: "committed late" });
    }
  });

  it("keeps sends to other rooms flowing while one room's row is locked", async () => {
    const cluster = await scope.create();
    const a = await cluster.node();
    const alice = await register(a.url);
    const locked = await createRoom(a.url, alice.token);
    const free = await createRoom(a.url, alice.token);
    const ws = await connect(a.wsUrl, alice.token);
    const sql = cluster.sql();
    const order: string[] = [];
    let lockedReply: Promise<ServerFrame> | undefined;
    await sql.begin(async (tx) => {
      await tx`SELECT id FROM rooms WHERE id = ${locked} FOR UPDATE`;
      lockedReply = ws.request({ type: "send", room: locked, cid: "l1", body: "waits" }, 30_000);
      lockedReply.then((f) => order.push(`locked:${f.type}`));
      await waitFor(async () => (await lockWaiters(cluster as Cluster)).length > 0, "the append");
      for (let i = 0; i < 5; i++) {
        const ack = await ws.request(
          { type: "send", room: free, cid: `f${i}`, body: "free" },
          30_000,
        );
        order.push(`free:${ack.type}`);
      }
    });
    await lockedReply;
    await sql.close({ timeout: 0 });
    // Every send to the free room was acked while the other room's lock was still held.
    expect(order.slice(0, 5)).toEqual(Array(5).fill("free:ack"));
  });

  it("stores a connection's pipelined sends in the order it sent them after an UNAVAILABLE", async () => {
    const cluster = await scope.create();
    const a = await cluster.node();
    const alice = await register(a.url);
    const room = await createRoom(a.url, alice.token);
    const ws = await connect(a.wsUrl, alice.token);
    const cids = ["s1", "s2", "s3", "s4"];
    const sql = cluster.sql();
    const replies = new Map<string, Promise<ServerFrame>>();
    await sql.begin(async (tx) => {
      await tx`SELECT id FROM rooms WHERE id = ${room} FOR UPDATE`;
      replies.set("s1", ws.request({ type: "send", room, cid: "s1", body: "s1" }, 30_000));
      await waitFor(async () => (await lockWaiters(cluster as Cluster)).length > 0, "the append");
      for (const cid of cids.slice(1)) {
        replies.set(cid, ws.request({ type: "send", room, cid, body: cid }, 30_000));
      }
      await Bun.sleep(200);
      // The batch holding s1 loses its connection: s1 is answered UNAVAILABLE.
      await tx`SELECT pg_terminate_backend(pid) FROM unnest(${await lockWaiters(cluster as Cluster)}::int[]) AS pid`;
      expect(await replies.get("s1")).toMatchObject({ type: "error", code: "UNAVAILABLE" });
    });
    // The client retries, in order, every send that was not acked.
    for (const cid of cids) {
      const first = await replies.get(cid);
      if (first?.type === "ack") continue;
      let reply: ServerFrame | undefined;
      for (let i = 0; i < 50 && reply?.type !== "ack"; i++) {
        reply = await ws.request({ type: "send", room, cid, body: cid }, 30_000);
        if (reply.type !== "ack") await Bun.sleep(100);
      }
      expect(reply?.type).toBe("ack");
    }
    const stored = await sql`SELECT client_id FROM messages WHERE room_id = ${room} ORDER BY seq`;
    await sql.close({ timeout: 0 });
    expect((stored as { client_id: string }[]).map((r) => r.client_id)).toEqual(cids);
  });

  it("answers UNAVAILABLE with retryAfter, not INTERNAL, to every request while PostgreSQL is down", async () => {
    const own = await startPostgres();
    scope.instances.push(own);
    const cluster = await scope.create();
    const n = await cluster.node({ databaseUrl: own.url, redisUrl: "" });
    const alice = await register(n.url);
    const room = await createRoom(n.url, alice.token);
    const ws = await connect(n.wsUrl, alice.token);
    await own.kill();
    const requests: Request[] = [
      { type: "resume", rooms: [{ room, after: 0 }] },
      { type: "history", room },
      { type: "rooms" },
      { type: "members", room },
    ];
    for (const frame of requests) {
      const reply = await ws.request(frame, 30_000);
      expect(reply).toMatchObject({ type: "error", code: "UNAVAILABLE" });
      expect((reply as ServerFrameOf<"error">).retryAfter).toBeGreaterThan(0);
    }
    const http = await api<{ code: string; retryAfter?: number }>(
      n.url,
      "GET",
      "/api/rooms",
      undefined,
      alice.token,
    );
    expect(http.status).toBe(503);
    expect(http.body.code).toBe("UNAVAILABLE");
  });

  it("has the client retry a resume refused UNAVAILABLE until it gets the missed messages", async () => {
    const cluster = await scope.create();
    const a = await cluster.node({ redisUrl: "" });
    const b = await cluster.node({ redisUrl: "" });
    const alice = await register(a.url);
    const name = `r${Date.now() % 1_000_000}`;
    const room = await createRoomNamed(a.url, alice.token, name);
    const conn = new Connection({
      server: [a.url, b.url],
      token: alice.token,
      backoff: { baseMs: 4000, capMs: 4000 },
    });
    const seen: number[] = [];
    conn.on("message", (m) => seen.push(m.seq));
    try {
      conn.start();
      await conn.join(name);
      await a.kill();
      // While the client waits to reconnect: three messages on B, and the messages table locked,
      // so its resume on B waits for the lock and then loses its backend: UNAVAILABLE.
      const writer = await connect(b.wsUrl, alice.token);
      for (let i = 1; i <= 3; i++) {
        await writer.request({ type: "send", room, cid: `m${i}`, body: `missed ${i}` });
      }
      const sql = cluster.sql();
      await sql.begin(async (tx) => {
        await tx`LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`;
        await waitFor(async () => (await lockWaiters(cluster as Cluster)).length > 0, "the resume");
        await tx`SELECT pg_terminate_backend(pid) FROM unnest(${await lockWaiters(cluster as Cluster)}::int[]) AS pid`;
      });
      await sql.close({ timeout: 0 });
      await waitFor(() => seen.length >= 3, "the missed messages", 30_000);
      expect(seen).toEqual([1, 2, 3]);
    } finally {
      conn.close();
    }
  });

  it("closes the socket of a session logged out on another node", async () => {
    const cluster = await scope.create();
    const a = await cluster.node();
    const b = await cluster.node();
    const alice = await register(a.url);
    const room = await createRoom(a.url, alice.token);
    const onB = await reader(b.wsUrl, alice.token, room);
    const res = await api(a.url, "POST", "/api/logout", undefined, alice.token);
    expect(res.status).toBe(204);
    const closed = await Promise.race([
      onB.closed,
      Bun.sleep(20_000).then(() => ({ code: 0, reason: "still open" })),
    ]);
    expect(closed.code).toBe(CLOSE.SESSION_ENDED);
  });

  it("subscribes a node to a room's bus channel only while a socket there reads the room", async () => {
    const cluster = await scope.create();
    const a = await cluster.node();
    const alice = await register(a.url);
    const room = await createRoom(a.url, alice.token);
    const channel = `${cluster.prefix}:bus:${room % 1024}`;
    const admin = new RedisClient(REDIS_URL);
    const subscribers = async () =>
      Number(((await admin.send("PUBSUB", ["NUMSUB", channel])) as [string, number])[1]);
    try {
      expect(await subscribers()).toBe(0);
      const first = await reader(a.wsUrl, alice.token, room);
      const second = await reader(a.wsUrl, alice.token, room);
      expect(await subscribers()).toBe(1);
      await first.close();
      await Bun.sleep(200);
      expect(await subscribers()).toBe(1);
      await second.close();
      await waitFor(async () => (await subscribers()) === 0, "the unsubscribe");
    } finally {
      admin.close();
    }
  });
});
