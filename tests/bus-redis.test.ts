/**
 * RedisBus against a real Redis: three buses stand for three nodes, with a channel prefix of
 * their own per run. Connections are cut with CLIENT KILL or through a TCP proxy, never by
 * restarting the shared Redis.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { RedisClient } from "bun";
import type { BusEnvelope } from "../src/bus/bus.ts";
import {
  decodeEnvelope,
  encodeEnvelope,
  RedisBus,
  type RedisBusOptions,
} from "../src/bus/bus-redis.ts";
import {
  assertReachable,
  killRedisClients,
  REDIS_URL,
  redisClientIds,
  redisGate,
  runId,
  startTcpProxy,
  waitFor,
} from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const redis = await redisGate();

function envelope(room: number, seq: number): BusEnvelope {
  return { room, seq, frame: JSON.stringify({ type: "msg", room, seq, body: `m ${seq}` }) };
}

/** A bus as one node runs it, recording what it receives and each reconnect. */
class Node {
  readonly got: BusEnvelope[] = [];
  reconnects = 0;
  readonly bus: RedisBus;

  constructor(
    readonly name: string,
    readonly prefix: string,
    url = REDIS_URL,
    options: Partial<RedisBusOptions> = {},
  ) {
    this.bus = new RedisBus({
      url,
      prefix,
      node: name,
      backoffMs: 50,
      backoffCapMs: 500,
      ...options,
    });
  }

  /** Starts and watches the rooms the tests use (1 to 11): a node receives only what it watches. */
  async start() {
    await this.bus.start((e) => this.got.push(e), { reconnected: () => this.reconnects++ });
    await Promise.all(Array.from({ length: 11 }, (_, i) => this.bus.watch(i + 1)));
  }

  seqs(room: number): number[] {
    return this.got.filter((e) => e.room === room).map((e) => e.seq);
  }
}

describe("envelope wire format", () => {
  it("round-trips an envelope whose frame holds spaces", () => {
    const e = { room: 12, seq: 3456, frame: '{"type":"msg","body":"a b  c"}' };
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
  });

  it("round-trips the users an ephemeral frame is hidden from", () => {
    const e = { room: 12, seq: 0, frame: '{"type":"presence"}', hide: [7, 42] };
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    expect(decodeEnvelope('12 0~7,x {"type":"presence"}')).toBeUndefined();
  });

  it("rejects a message that is not an envelope", () => {
    for (const bad of ["", "hello", "1 x {}", "x 1 {}", " 1 {}", "1  {}"]) {
      expect(decodeEnvelope(bad)).toBeUndefined();
    }
  });
});

describe.skipIf(redis.skip)("RedisBus across nodes", () => {
  const prefix = `parley-test-${runId()}`;
  let nodes: Node[] = [];
  let admin: RedisClient;
  const [a, b, c] = ["A", "B", "C"].map((n) => new Node(n, prefix)) as [Node, Node, Node];

  beforeAll(async () => {
    assertReachable("Redis", redis);
    admin = new RedisClient(REDIS_URL, { autoReconnect: false });
    await admin.connect();
    nodes = [a, b, c];
    await Promise.all(nodes.map((n) => n.start()));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.bus.close()));
    admin?.close();
  });
  afterEach(() => {
    for (const n of nodes) n.got.length = 0;
  });

  it("delivers a room's envelopes only to the nodes that watch it, and stops after unwatch", async () => {
    const prefix2 = `parley-test-${runId()}`;
    const watcher = new Node("W", prefix2);
    const other = new Node("O", prefix2);
    await watcher.bus.start((e) => watcher.got.push(e));
    await other.bus.start((e) => other.got.push(e));
    try {
      await watcher.bus.watch(100);
      other.bus.publish(envelope(100, 1));
      other.bus.publish(envelope(101, 1));
      other.bus.publish(envelope(100, 2));
      await waitFor(() => watcher.got.length >= 2, "the watched room's envelopes");
      // The marker after the room's envelopes: the unwatched room never came.
      expect(watcher.seqs(100)).toEqual([1, 2]);
      expect(watcher.seqs(101)).toEqual([]);
      expect(other.got).toEqual([]);
      watcher.bus.unwatch(100);
      // Redis drops the subscription when it reads the UNSUBSCRIBE, which a loaded machine may
      // send late: publish only once Redis counts no subscriber on the room's channel.
      const channel = watcher.bus.channelOf(100);
      await waitFor(async () => {
        const reply = (await admin.send("PUBSUB", ["NUMSUB", channel])) as [string, number];
        return Number(reply[1]) === 0;
      }, "Redis to drop the unwatched room's subscription");
      other.bus.publish(envelope(100, 3));
      await watcher.bus.watch(102);
      other.bus.publish(envelope(102, 1));
      await waitFor(() => watcher.seqs(102).length === 1, "the next watched room");
      expect(watcher.seqs(100)).toEqual([1, 2]);
    } finally {
      await watcher.bus.close();
      await other.bus.close();
    }
  });

  it("delivers every envelope to every node once, in each publisher's order", async () => {
    for (let seq = 1; seq <= 100; seq++) {
      a.bus.publish(envelope(1, seq));
      b.bus.publish(envelope(2, seq));
    }
    // A marker from each publisher arrives after everything that publisher sent before it.
    a.bus.publish(envelope(1, 101));
    b.bus.publish(envelope(2, 101));
    const upTo101 = Array.from({ length: 101 }, (_, i) => i + 1);
    for (const n of nodes) {
      await waitFor(() => n.got.length >= 202, `node ${n.name} to receive 202 envelopes`);
      expect(n.seqs(1)).toEqual(upTo101);
      expect(n.seqs(2)).toEqual(upTo101);
      expect(n.got).toHaveLength(202);
    }
    expect(c.got.find((e) => e.room === 1 && e.seq === 7)).toEqual(envelope(1, 7));
  });

  it("delivers a burst far larger than its outbox bound while the link is up", async () => {
    const small = new Node("small", prefix, REDIS_URL, { outboxMax: 10 });
    await small.start();
    try {
      for (let seq = 1; seq <= 2000; seq++) small.bus.publish(envelope(10, seq));
      await waitFor(() => c.seqs(10).length >= 2000, "node C to receive the burst");
      expect(c.seqs(10)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
      expect(small.bus.droppedCount).toBe(0);
    } finally {
      await small.bus.close();
    }
  });

  it("keeps only the newest envelopes up to its bound during an outage", async () => {
    const target = new URL(REDIS_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    const cut = new Node("bounded", prefix, `redis://${target.hostname}:${proxy.port}`, {
      outboxMax: 3,
    });
    try {
      await cut.start();
      await proxy.down();
      await waitFor(() => cut.bus.state === "down", "the outage");
      for (let seq = 1; seq <= 10; seq++) cut.bus.publish(envelope(11, seq));
      expect(cut.bus.droppedCount).toBe(7);
      await proxy.up();
      await waitFor(() => c.seqs(11).length >= 3, "node C to receive what was kept");
      expect(c.seqs(11)).toEqual([8, 9, 10]);
    } finally {
      await cut.bus.close();
      await proxy.close();
    }
  });

  it("keeps deployments with another prefix apart", async () => {
    const other = new Node("other", `${prefix}-other`);
    await other.start();
    try {
      a.bus.publish(envelope(3, 1));
      other.bus.publish(envelope(4, 1));
      await waitFor(() => other.got.length >= 1 && a.got.length >= 1, "both deployments");
      a.bus.publish(envelope(3, 2));
      await waitFor(() => b.seqs(3).length >= 2, "node B to receive room 3");
      expect(other.got).toEqual([envelope(4, 1)]);
      expect(b.got.some((e) => e.room === 4)).toBe(false);
    } finally {
      await other.bus.close();
    }
  });

  it("ignores a foreign message on its channel and keeps delivering", async () => {
    await admin.publish(a.bus.channelOf(5), "not an envelope");
    a.bus.publish(envelope(5, 1));
    await waitFor(() => nodes.every((n) => n.got.length >= 1), "the envelope after the junk");
    for (const n of nodes) expect(n.got).toEqual([envelope(5, 1)]);
  });

  it("reconnects after its connections are killed, resubscribes and fires the hook", async () => {
    const before = b.reconnects;
    // Killing one of the two links is enough: the bus then replaces both.
    expect(await killRedisClients(admin, `${prefix}:B:`)).toBeGreaterThanOrEqual(1);
    await waitFor(() => b.reconnects === before + 1, "node B's reconnect hook");
    expect(b.bus.state).toBe("up");
    expect(await redisClientIds(admin, `${prefix}:B:`)).toHaveLength(2);
    a.bus.publish(envelope(6, 1));
    b.bus.publish(envelope(6, 2));
    for (const n of nodes) {
      await waitFor(() => n.seqs(6).length >= 2, `node ${n.name} to receive both envelopes`);
      expect(n.seqs(6).toSorted()).toEqual([1, 2]);
    }
    expect(a.reconnects + c.reconnects).toBe(0);
  });

  it("sends what it published while its link was broken, in order, after the reconnect", async () => {
    const before = a.reconnects;
    await killRedisClients(admin, `${prefix}:A:pub`);
    for (let seq = 1; seq <= 50; seq++) a.bus.publish(envelope(7, seq));
    await waitFor(() => a.reconnects > before, "node A's reconnect hook");
    const all = Array.from({ length: 50 }, (_, i) => i + 1);
    for (const n of nodes) {
      await waitFor(() => new Set(n.seqs(7)).size === 50, `node ${n.name} to receive all 50`);
      // At least once: an envelope in flight at the cut may come twice, never out of order.
      expect([...new Set(n.seqs(7))]).toEqual(all);
    }
  });
});

describe.skipIf(redis.skip)("RedisBus when Redis is unreachable", () => {
  it("refuses to start when Redis cannot be reached", async () => {
    assertReachable("Redis", redis);
    const proxy = await startTcpProxy("127.0.0.1", 9);
    await proxy.down();
    const bus = new RedisBus({ url: `redis://127.0.0.1:${proxy.port}`, prefix: runId() });
    await expect(bus.start(() => {})).rejects.toThrow();
    expect(bus.state).toBe("idle");
    await bus.close();
  });

  it("retries with backoff through an outage, then delivers what was published meanwhile", async () => {
    assertReachable("Redis", redis);
    const target = new URL(REDIS_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    const prefix = `parley-test-${runId()}`;
    const cut = new Node("cut", prefix, `redis://${target.hostname}:${proxy.port}`);
    const direct = new Node("direct", prefix);
    try {
      await Promise.all([cut.start(), direct.start()]);
      await proxy.down();
      await waitFor(() => cut.bus.state === "down", "the cut node to see the outage");
      // Several failed attempts while the proxy refuses connections.
      await Bun.sleep(300);
      for (let seq = 1; seq <= 5; seq++) cut.bus.publish(envelope(8, seq));
      direct.bus.publish(envelope(9, 1));
      await proxy.up();
      await waitFor(() => cut.reconnects === 1, "the cut node's reconnect hook");
      await waitFor(() => direct.seqs(8).length >= 5, "the queued envelopes");
      expect(direct.seqs(8)).toEqual([1, 2, 3, 4, 5]);
      // Published while the cut node was away: lost to it, which is what the hook is for.
      expect(cut.seqs(9)).toEqual([]);
      direct.bus.publish(envelope(9, 2));
      await waitFor(() => cut.seqs(9).length >= 1, "a new envelope at the cut node");
      expect(cut.seqs(9)).toEqual([2]);
    } finally {
      await cut.bus.close();
      await direct.bus.close();
      await proxy.close();
    }
  });

  it("stops reconnecting once closed", async () => {
    assertReachable("Redis", redis);
    const target = new URL(REDIS_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    const node = new Node("closing", `parley-test-${runId()}`, `redis://127.0.0.1:${proxy.port}`);
    try {
      await node.start();
      await proxy.down();
      await waitFor(() => node.bus.state === "down", "the outage");
      await node.bus.close();
      await proxy.up();
      await Bun.sleep(700);
      expect(node.bus.state).toBe("closed");
      expect(node.reconnects).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
