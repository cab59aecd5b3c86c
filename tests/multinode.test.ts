import { afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import {
  type Account,
  connect,
  createRoom,
  joinRoom,
  register,
  type TestSocket,
} from "./support/client.ts";
import { ClusterScope, type NodeOptions } from "./support/cluster.ts";
import { startPostgres, startRedis } from "./support/instances.ts";
import type { ChildServer } from "./support/server.ts";
import { assertReachable, postgresGate, redisGate } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const pg = await postgresGate();
const redis = await redisGate();

const scope = new ClusterScope();

/** A node of this test's cluster: its database and Redis prefix, as behind a balancer. */
function node(options: NodeOptions = {}): Promise<ChildServer> {
  if (!scope.cluster) throw new Error("call fresh() first");
  return scope.cluster.node(options);
}

async function sendAll(ws: TestSocket, room: number, count: number, tag: string) {
  const acks: ServerFrameOf<"ack">[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      acks.push(
        await ws.request<ServerFrameOf<"ack">>(
          { type: "send", room, cid: `${tag}${i}`, body: `${tag} ${i}` },
          20_000,
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return acks;
}

function inOrderOnce(seqs: number[], from: number, to: number) {
  expect(seqs).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i));
}

describe.skipIf(pg.skip || redis.skip)("several nodes sharing PostgreSQL and Redis", () => {
  beforeAll(async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
  });
  afterEach(() => scope.remove());

  async function fresh() {
    await scope.create();
  }

  async function setup(count: number) {
    await fresh();
    const servers = [];
    for (let i = 0; i < count; i++) servers.push(await node());
    const alice = await register(servers[0]?.url as string);
    const room = await createRoom(servers[0]?.url as string, alice.token);
    const others: Account[] = [];
    for (const s of servers.slice(1)) {
      const other = await register(s.url);
      await joinRoom(s.url, other.token, room);
      others.push(other);
    }
    // The log begins with the others' joins, one event each: messages follow from head + 1.
    return { servers, alice, others, room, head: others.length };
  }

  it("delivers a message sent on node A to readers on nodes B and C, in order and once", async () => {
    const { servers, alice, others, room, head } = await setup(3);
    const readers = await Promise.all(
      others.map((o, i) => connect(servers[i + 1]?.wsUrl as string, o.token)),
    );
    for (const r of readers) await r.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const a = await connect(servers[0]?.wsUrl as string, alice.token);
    await sendAll(a, room, 100, "a");
    for (const r of readers) {
      await r.waitForMessages(room, 100, 20_000);
      await Bun.sleep(100);
      // The whole log (the joins, then the messages), each entry once and in order.
      inOrderOnce(r.entrySeqs(room), 1, head + 100);
    }
  });

  it("gives concurrent sends on three nodes to one room a gapless, unique seq, read in order everywhere", async () => {
    const { servers, alice, others, room, head } = await setup(3);
    const accounts = [alice, ...others];
    const sockets = await Promise.all(
      accounts.map((acc, i) => connect(servers[i]?.wsUrl as string, acc.token)),
    );
    for (const s of sockets) await s.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const acks = (await Promise.all(sockets.map((s, i) => sendAll(s, room, 100, `n${i}-`)))).flat();
    expect(acks.map((x) => x.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 300 }, (_, i) => head + i + 1),
    );
    for (const s of sockets) {
      await s.waitForMessages(room, 300, 30_000);
      await Bun.sleep(100);
      inOrderOnce(s.entrySeqs(room), 1, head + 300);
    }
  });

  it("lets the clients of a node killed with -9 resume on another node with nothing lost", async () => {
    const { servers, alice, others, room, head } = await setup(3);
    const [b, c] = servers.slice(1) as [ChildServer, ChildServer];
    const bob = others[0] as Account;
    const onB = await connect(b.wsUrl, bob.token);
    await onB.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const a = await connect(servers[0]?.wsUrl as string, alice.token);
    const sending = sendAll(a, room, 300, "k");
    await onB.waitForMessages(room, 50, 20_000);
    await b.kill();
    const seen = onB.entrySeqs(room);
    const seenMessages = onB.messages(room).length;
    const onC = await connect(c.wsUrl, bob.token);
    await onC.request({ type: "resume", rooms: [{ room, after: seen.at(-1) as number }] });
    await sending;
    await onC.waitForMessages(room, 300 - seenMessages, 30_000);
    await Bun.sleep(100);
    inOrderOnce([...seen, ...onC.entrySeqs(room)], 1, head + 300);
  });

  it("keeps a user online while a socket on any node is open, and says so on every node", async () => {
    const { servers, alice, others, room } = await setup(3);
    const [a, b, c] = servers as [ChildServer, ChildServer, ChildServer];
    const bob = others[0] as Account;
    const watcher = await connect(a.wsUrl, alice.token);
    await watcher.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const status = async () =>
      (await watcher.request<ServerFrameOf<"members">>({ type: "members", room })).members.find(
        (m) => m.id === bob.user.id,
      )?.status;
    const presence = () =>
      watcher.frames
        .filter(
          (f): f is ServerFrameOf<"presence"> => f.type === "presence" && f.user.id === bob.user.id,
        )
        .map((f) => f.status);

    const onB = await connect(b.wsUrl, bob.token);
    const onC = await connect(c.wsUrl, bob.token);
    await watcher.waitFor((f) => f.type === "presence" && f.user.id === bob.user.id);
    expect(await status()).toBe("online");
    const rooms = await watcher.request<ServerFrameOf<"rooms">>({ type: "rooms" });
    expect(rooms.rooms.find((r) => r.id === room)?.online).toBeGreaterThanOrEqual(2);

    await onB.close();
    await Bun.sleep(500);
    expect(await status()).toBe("online");
    expect(presence()).toEqual(["online"]);

    await onC.close();
    await watcher.waitFor(
      (f) => f.type === "presence" && f.user.id === bob.user.id && f.status === "offline",
      10_000,
    );
    expect(await status()).toBe("offline");
    expect(presence()).toEqual(["online", "offline"]);
  });

  it("turns the users of a node killed with -9 offline by themselves, and tells the others", async () => {
    const { servers, alice, others, room } = await setup(2);
    const [a, b] = servers as [ChildServer, ChildServer];
    const bob = others[0] as Account;
    const watcher = await connect(a.wsUrl, alice.token);
    await watcher.request({ type: "resume", rooms: [{ room, after: 0 }] });
    await connect(b.wsUrl, bob.token);
    await watcher.waitFor(
      (f) => f.type === "presence" && f.user.id === bob.user.id && f.status === "online",
    );
    await b.kill();
    // The node's heartbeat (2 s here) runs out; a survivor reaps it and announces.
    await watcher.waitFor(
      (f) => f.type === "presence" && f.user.id === bob.user.id && f.status === "offline",
      15_000,
    );
    const members = await watcher.request<ServerFrameOf<"members">>({ type: "members", room });
    expect(members.members.find((m) => m.id === bob.user.id)?.status).toBe("offline");
  });

  it("delivers a message published while Redis was down once the bus is back", async () => {
    await fresh();
    const own = await startRedis();
    scope.instances.push(own);
    const a = await node({ redisUrl: own.url });
    const b = await node({ redisUrl: own.url });
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token);
    await joinRoom(b.url, bob.token, room);
    const reader = await connect(b.wsUrl, bob.token);
    await reader.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const writer = await connect(a.wsUrl, alice.token);
    await writer.request({ type: "send", room, cid: "before", body: "before the outage" });
    await reader.waitForMessages(room, 1);

    await own.kill();
    const during = await writer.request({
      type: "send",
      room,
      cid: "during",
      body: "while Redis is down",
    });
    // Seq 1 is bob's join, an event of the log.
    expect(during).toMatchObject({ type: "ack", seq: 3 });
    await own.restart();
    await reader.waitForMessages(room, 2, 30_000);
    await writer.request({ type: "send", room, cid: "after", body: "after the outage" });
    await reader.waitForMessages(room, 3, 20_000);
    await Bun.sleep(300);
    expect(reader.messages(room).map((m) => [m.seq, m.body])).toEqual([
      [2, "before the outage"],
      [3, "while Redis is down"],
      [4, "after the outage"],
    ]);
  });

  it("refuses sends while PostgreSQL is down, acks nothing falsely, and recovers by itself", async () => {
    await fresh();
    const own = await startPostgres();
    scope.instances.push(own);
    const n = await node({ databaseUrl: own.url, redisUrl: "" });
    const alice = await register(n.url);
    const room = await createRoom(n.url, alice.token);
    const ws = await connect(n.wsUrl, alice.token);
    expect(await ws.request({ type: "send", room, cid: "up", body: "stored" })).toMatchObject({
      type: "ack",
      seq: 1,
    });

    await own.kill();
    const refused = await ws.request(
      { type: "send", room, cid: "down", body: "not stored" },
      30_000,
    );
    expect(refused).toMatchObject({ type: "error", code: "UNAVAILABLE" });

    await own.restart();
    let retried: ServerFrameOf<"ack"> | undefined;
    for (const deadline = Date.now() + 30_000; !retried && Date.now() < deadline; ) {
      const reply = await ws.request(
        { type: "send", room, cid: "down", body: "not stored" },
        30_000,
      );
      if (reply.type === "ack") retried = reply;
      else await Bun.sleep(250);
    }
    expect(retried).toMatchObject({ seq: 2, duplicate: false });
    const history = await ws.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(history.messages.map((m) => m.cid)).toEqual(["up", "down"]);
  });
});
