/**
 * The shared services a multi-node run needs, each fresh per run and removed afterwards: an
 * empty PostgreSQL database on the local server, and a Redis key prefix nobody else uses (its
 * keys deleted with SCAN MATCH prefix:* and DEL, since Redis has no namespaces to drop).
 */
import { RedisClient } from "bun";
import { createTestDatabase, POSTGRES_URL, REDIS_URL, runId } from "../tests/support/services.ts";

export { POSTGRES_URL, REDIS_URL };

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Drops the database and deletes every key under the prefix; returns the keys deleted. */
  remove(): Promise<number>;
}

/** Deletes every key that starts with `prefix:`, a SCAN page at a time. */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new RedisClient(redisUrl, { autoReconnect: false, connectionTimeout: 5000 });
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = (await redis.send("SCAN", [
        cursor,
        "MATCH",
        `${prefix}:*`,
        "COUNT",
        "1000",
      ])) as [string, string[]];
      if (keys.length > 0) deleted += Number(await redis.send("DEL", keys));
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.close();
  }
  return deleted;
}

export async function createServices(): Promise<Services> {
  const db = await createTestDatabase(POSTGRES_URL);
  const redisPrefix = `parley-bench-${runId()}`;
  return {
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    redisPrefix,
    async remove() {
      try {
        return await deleteKeys(REDIS_URL, redisPrefix);
      } finally {
        await db.drop();
      }
    },
  };
}
