/**
 * What the shared services cost on this machine, outside Parley: one-row PostgreSQL commits
 * (each a WAL flush with synchronous_commit on, as the store's append waits for) one at a time
 * and from a pool, and how many bus-sized envelopes one Redis pub/sub channel carries a second.
 */
import { RedisClient, SQL } from "bun";
import { Histogram } from "./histogram.ts";

export interface CommitProbe {
  /** One commit at a time, on one connection. */
  one: Histogram;
  oneSeconds: number;
  /** Commits/s with `connections` committing at once (PostgreSQL flushes them in groups). */
  pooledPerSecond: number;
  connections: number;
}

export async function probeCommits(url: string, commits: number, connections = 10) {
  const sql = new SQL({ url, max: connections, connectionTimeout: 5 });
  try {
    await sql`CREATE TABLE commit_probe (x integer)`;
    const one = new Histogram();
    const started = performance.now();
    for (let i = 0; i < commits; i++) {
      const t = performance.now();
      await sql`INSERT INTO commit_probe VALUES (${i})`;
      one.record(performance.now() - t);
    }
    const oneSeconds = (performance.now() - started) / 1000;
    const pooledStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < commits * 2) await sql`INSERT INTO commit_probe VALUES (${next++})`;
      }),
    );
    const pooledPerSecond = (commits * 2) / ((performance.now() - pooledStarted) / 1000);
    return { one, oneSeconds, pooledPerSecond, connections } satisfies CommitProbe;
  } finally {
    await sql.close({ timeout: 0 });
  }
}

/**
 * Publishes `count` envelopes of `bytes` each on one channel, as fast as one client pipelines
 * them, and counts them at one subscriber: envelopes/s from the first publish to the last
 * receipt. Every node receives every envelope on Parley's single channel, so this is the bus's
 * ceiling per subscriber.
 */
export async function probePubSub(url: string, channel: string, count: number, bytes: number) {
  const pub = new RedisClient(url, { autoReconnect: false, connectionTimeout: 5000 });
  const sub = new RedisClient(url, { autoReconnect: false, connectionTimeout: 5000 });
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    let received = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => (done = resolve));
    await sub.subscribe(channel, () => {
      if (++received === count) done();
    });
    const body = "x".repeat(bytes);
    const started = performance.now();
    const WINDOW = 1000;
    for (let i = 0; i < count; i += WINDOW) {
      const batch: Promise<number>[] = [];
      for (let k = i; k < Math.min(count, i + WINDOW); k++) batch.push(pub.publish(channel, body));
      await Promise.all(batch);
    }
    let timer: Timer | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
    clearTimeout(timer);
    return { received, perSecond: received / ((performance.now() - started) / 1000) };
  } finally {
    pub.close();
    sub.close();
  }
}
