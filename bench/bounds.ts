#!/usr/bin/env bun
/**
 * `bun bench/bounds.ts`: measures the time bounds docs/scaling.md states, on real node
 * processes sharing PostgreSQL and Redis (each on a fresh database and prefix, or a private
 * Redis where the test pauses it):
 *
 * - lost publish: a node acks messages while its Redis refuses writes (CLIENT PAUSE WRITE) and
 *   is killed with -9; the time until a reader on another node has them, counted from the kill;
 * - revocation: `POST /api/logout` on one node; the time until the session's socket on another
 *   node is closed, counted from the 204;
 * - presence after a node dies: kill -9 of the node holding a user's only socket; the time until
 *   a watcher on another node is told the user is offline, with --presence-ttl 2.
 *
 * Each is measured RUNS times; prints the median and the worst.
 */
import { RedisClient } from "bun";
import { api, connect, createRoom, joinRoom, register } from "../tests/support/client.ts";
import { Cluster } from "../tests/support/cluster.ts";
import { startRedis } from "../tests/support/instances.ts";

const RUNS = Number(process.argv[2] ?? 3);

async function lostPublish(): Promise<number> {
  const own = await startRedis();
  const c = await Cluster.create();
  try {
    const a = await c.node({ redisUrl: own.url });
    const b = await c.node({ redisUrl: own.url });
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token);
    await joinRoom(b.url, bob.token, room);
    const reader = await connect(b.wsUrl, bob.token);
    await reader.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const writer = await connect(a.wsUrl, alice.token);
    await writer.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const admin = new RedisClient(own.url);
    await admin.send("CLIENT", ["PAUSE", "2000", "WRITE"]);
    for (let i = 0; i < 3; i++)
      await writer.request({ type: "send", room, cid: `p${i}`, body: "x" });
    await a.kill();
    const killed = performance.now();
    admin.close();
    await reader.waitForMessages(room, 3, 30_000);
    return performance.now() - killed;
  } finally {
    await c.remove(own.url);
    await own.remove();
  }
}

async function revocation(): Promise<number> {
  const c = await Cluster.create();
  try {
    const a = await c.node();
    const b = await c.node();
    const alice = await register(a.url);
    const onB = await connect(b.wsUrl, alice.token);
    await api(a.url, "POST", "/api/logout", undefined, alice.token);
    const answered = performance.now();
    await onB.closed;
    return performance.now() - answered;
  } finally {
    await c.remove();
  }
}

async function presenceExpiry(): Promise<number> {
  const c = await Cluster.create();
  try {
    const a = await c.node();
    const b = await c.node();
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token);
    await joinRoom(b.url, bob.token, room);
    const watcher = await connect(a.wsUrl, alice.token);
    await watcher.request({ type: "resume", rooms: [{ room, after: 0 }] });
    await connect(b.wsUrl, bob.token);
    await watcher.waitFor((f) => f.type === "presence" && f.user.id === bob.user.id);
    await b.kill();
    const killed = performance.now();
    await watcher.waitFor(
      (f) => f.type === "presence" && f.user.id === bob.user.id && f.status === "offline",
      30_000,
    );
    return performance.now() - killed;
  } finally {
    await c.remove();
  }
}

function summary(name: string, ms: number[]): string {
  const sorted = [...ms].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  return `${name}: median ${median.toFixed(0)} ms, worst ${(sorted.at(-1) as number).toFixed(0)} ms (${ms.map((m) => m.toFixed(0)).join(", ")})`;
}

for (const [name, measure] of [
  ["lost publish -> delivered (sweep 1 s)", lostPublish],
  ["logout -> other node's socket closed", revocation],
  ["node killed -> offline announced (TTL 2 s)", presenceExpiry],
] as const) {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) ms.push(await measure());
  console.log(summary(name, ms));
}
process.exit(0);
