/**
 * Nodes for multi-node tests: each a real `bun server.ts` process sharing one test database and
 * one Redis prefix, as behind a load balancer. `Cluster` remembers what it started, so a test's
 * afterEach can kill every node and drop its data, whatever failed.
 */
import { join } from "node:path";
import { RedisClient, SQL } from "bun";
import { connect, type TestSocket } from "./client.ts";
import type { Instance } from "./instances.ts";
import { type ChildServer, spawnServer, tempDir } from "./server.ts";
import { createTestDatabase, REDIS_URL, runId, type TestDatabase } from "./services.ts";

/** Flags that keep tests fast: no rate limits, no offline grace, a short presence TTL. */
export const FAST_NODE = [
  "--rate",
  "100000",
  "--burst",
  "100000",
  "--log-level",
  "error",
  "--presence-grace",
  "0",
  "--presence-ttl",
  "2",
];

export interface NodeOptions {
  databaseUrl?: string;
  /** "" for no Redis at all (one node). */
  redisUrl?: string;
  /** Replaces FAST_NODE's flags after the defaults. */
  extraArgs?: string[];
}

export class Cluster {
  readonly nodes: ChildServer[] = [];
  readonly prefix = `parley_test_${runId()}`;
  private readonly scratch = tempDir("parley-cluster-");
  private constructor(readonly database: TestDatabase) {}

  static async create(): Promise<Cluster> {
    return new Cluster(await createTestDatabase());
  }

  async node(o: NodeOptions = {}): Promise<ChildServer> {
    const redisUrl = o.redisUrl ?? REDIS_URL;
    const child = await spawnServer({
      db: join(this.scratch.path, `unused-${this.nodes.length}.db`),
      extraArgs: [
        ...FAST_NODE,
        ...(o.extraArgs ?? []),
        "--database-url",
        o.databaseUrl ?? this.database.url,
        ...(redisUrl === "" ? [] : ["--redis-url", redisUrl]),
        "--redis-prefix",
        this.prefix,
      ],
    });
    this.nodes.push(child);
    return child;
  }

  /** A connection of the test's own to the cluster's database. */
  sql(): SQL {
    return new SQL({ url: this.database.url, max: 2, connectionTimeout: 5 });
  }

  async remove(redisUrl = REDIS_URL): Promise<void> {
    for (const n of this.nodes.splice(0)) await n.kill().catch(() => {});
    await this.database.drop().catch(() => {});
    await dropRedisKeys(this.prefix, redisUrl).catch(() => {});
    this.scratch.remove();
  }
}

/**
 * What one multi-node test starts: its cluster and the private Redis or PostgreSQL instances it
 * pauses, kills or restarts. afterEach calls `remove()`, which ends all of it whatever failed.
 */
export class ClusterScope {
  cluster: Cluster | undefined;
  readonly instances: Instance[] = [];

  async create(): Promise<Cluster> {
    this.cluster = await Cluster.create();
    return this.cluster;
  }

  /** Nodes on a private Redis left their keys there: the first instance, when a test has one. */
  async remove(): Promise<void> {
    await this.cluster?.remove(this.instances[0]?.url);
    this.cluster = undefined;
    for (const i of this.instances.splice(0)) await i.remove().catch(() => {});
  }
}

/** A socket that has resumed `room` from its start: it holds every message and event of it. */
export async function reader(wsUrl: string, token: string, room: number): Promise<TestSocket> {
  const ws = await connect(wsUrl, token);
  await ws.request({ type: "resume", rooms: [{ room, after: 0 }] }, 20_000);
  return ws;
}

/** Presence leaves keys under the run's prefix (a killed node cannot clean up): remove them. */
export async function dropRedisKeys(keyPrefix: string, url = REDIS_URL): Promise<void> {
  const client = new RedisClient(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = (await client.send("SCAN", [
        cursor,
        "MATCH",
        `${keyPrefix}:*`,
        "COUNT",
        "500",
      ])) as [string, string[]];
      cursor = next;
      if (keys.length > 0) await client.send("DEL", keys);
    } while (cursor !== "0");
  } finally {
    client.close();
  }
}
