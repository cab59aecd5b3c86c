/**
 * Presence across nodes under failure: simultaneous disconnects on two nodes, a node that just
 * started, a Redis restart that lost every key, and bookkeeping that must shrink. Real node
 * processes, the shared PostgreSQL, and a private Redis wherever a test pauses or restarts it.
 */
import { afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { RedisClient } from "bun";
import { CLOSE, type ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, api, connect, createRoom, joinRoom, register } from "./support/client.ts";
import { ClusterScope, reader } from "./support/cluster.ts";
import { startRedis } from "./support/instances.ts";
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

describe.skipIf(pg.skip || redis.skip)("presence across nodes under failure", () => {
  beforeAll(() => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
  });
  afterEach(() => scope.remove());

  it("announces offline every user whose sockets on two nodes close at the same moment", async () => {
    // A Redis of our own, paused while both nodes report: their reads then meet in its queue.
    const own = await startRedis();
    scope.instances.push(own);
    const cluster = await scope.create();
    const a = await cluster.node({ redisUrl: own.url });
    const b = await cluster.node({ redisUrl: own.url });
    const alice = await register(a.url);
    const room = await createRoom(a.url, alice.token);
    const watcher = await reader(a.wsUrl, alice.token, room);
    const users: Account[] = [];
    for (let i = 0; i < 12; i++) {
      const u = await register(b.url);
      await joinRoom(b.url, u.token, room);
      users.push(u);
    }
    const sockets = (
      await Promise.all(
        users.map((u) => Promise.all([connect(a.wsUrl, u.token), connect(b.wsUrl, u.token)])),
      )
    ).flat();
    const saw = (id: number, status: string) =>
      watcher.frames.some((f) => f.type === "presence" && f.user.id === id && f.status === status);
    await waitFor(() => users.every((u) => saw(u.user.id, "online")), "everyone online");
    // Both sockets of each user close together: each node reports "offline here" at once.
    const admin = new RedisClient(own.url);
    await admin.send("CLIENT", ["PAUSE", "1000", "ALL"]);
    await Promise.all(sockets.map((s) => s.close()));
    admin.close();
    await waitFor(() => users.every((u) => saw(u.user.id, "offline")), "everyone offline", 15_000);
  });

  it("shows users of a node that started after this one as online at once", async () => {
    const cluster = await scope.create();
    const slow = ["--presence-ttl", "15"];
    const a = await cluster.node({ extraArgs: slow });
    const alice = await register(a.url);
    const room = await createRoom(a.url, alice.token);
    const watcher = await reader(a.wsUrl, alice.token, room);
    const b = await cluster.node({ extraArgs: slow });
    const bob = await register(b.url);
    await joinRoom(b.url, bob.token, room);
    await connect(b.wsUrl, bob.token);
    await watcher.waitFor(
      (f) => f.type === "presence" && f.user.id === bob.user.id && f.status === "online",
      10_000,
    );
    const members = await watcher.request<ServerFrameOf<"members">>({ type: "members", room });
    expect(members.members.find((m) => m.id === bob.user.id)?.status).toBe("online");
  });

  it("recovers from a Redis restart that lost every key: presence, delivery and revocation work again", async () => {
    const own = await startRedis();
    scope.instances.push(own);
    const cluster = await scope.create();
    const a = await cluster.node({ redisUrl: own.url });
    const b = await cluster.node({ redisUrl: own.url });
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token);
    await joinRoom(b.url, bob.token, room);
    const watcher = await reader(a.wsUrl, alice.token, room);
    const onB = await reader(b.wsUrl, bob.token, room);
    await watcher.waitFor((f) => f.type === "presence" && f.user.id === bob.user.id);
    // Redis keeps nothing on disk here: it comes back empty, as after losing its only replica.
    await own.kill();
    await own.restart();
    const bobStatus = async () =>
      (await watcher.request<ServerFrameOf<"members">>({ type: "members", room })).members.find(
        (m) => m.id === bob.user.id,
      )?.status;
    await waitFor(async () => (await bobStatus()) === "online", "bob online again", 20_000);
    await watcher.request({ type: "send", room, cid: "after", body: "after the restart" });
    await onB.waitForMessages(room, 1, 20_000);
    await api(a.url, "POST", "/api/logout", undefined, bob.token);
    const closed = await Promise.race([
      onB.closed,
      Bun.sleep(20_000).then(() => ({ code: 0, reason: "still open" })),
    ]);
    expect(closed.code).toBe(CLOSE.SESSION_ENDED);
  });

  it("forgets the users who went offline in the node's presence bookkeeping", async () => {
    const cluster = await scope.create();
    const a = await cluster.node();
    const alice = await register(a.url);
    const room = await createRoom(a.url, alice.token);
    const watcher = await reader(a.wsUrl, alice.token, room);
    const admin = new RedisClient(REDIS_URL);
    try {
      const [node] = (await admin.send("SMEMBERS", [`${cluster.prefix}:nodes`])) as string[];
      const touched = `${cluster.prefix}:touched:${node}`;
      const base = Number(await admin.send("SCARD", [touched]));
      for (let i = 0; i < 5; i++) {
        const u = await register(a.url);
        await joinRoom(a.url, u.token, room);
        const ws = await connect(a.wsUrl, u.token);
        await watcher.waitFor((f) => f.type === "presence" && f.user.id === u.user.id);
        await ws.close();
        await watcher.waitFor(
          (f) => f.type === "presence" && f.user.id === u.user.id && f.status === "offline",
          10_000,
        );
      }
      // The node forgets them in Redis after it announced them offline: wait for that write
      // rather than a fixed time, which a loaded machine can outlast.
      const left = async () => Number(await admin.send("SCARD", [touched]));
      await waitFor(async () => (await left()) <= base, "the node to forget the offline users");
      expect(await left()).toBeLessThanOrEqual(base);
    } finally {
      admin.close();
    }
  });
});
