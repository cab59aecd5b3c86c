/**
 * Shared services for tests: PostgreSQL and Redis. Each run gets its own database and its own
 * Redis channel prefix, so parallel runs and leftovers never meet.
 *
 * PARLEY_REQUIRE_SERVICES=1 (CI): a missing service fails the suites that need it, loudly.
 * Otherwise those suites are skipped with a printed notice.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { RedisClient, SQL } from "bun";

export const POSTGRES_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
export const REQUIRE_SERVICES = process.env.PARLEY_REQUIRE_SERVICES === "1";

export interface ServiceGate {
  /** True when the suite should be skipped: the service is missing and not required. */
  skip: boolean;
  /** Why the service is missing, or undefined when it answered. */
  missing: string | undefined;
}

/** A short, unique, identifier-safe token for this run. */
export function runId(): string {
  return `${process.pid}_${randomBytes(4).toString("hex")}`;
}

async function gate(service: string, url: string, probe: () => Promise<void>) {
  let missing: string | undefined;
  try {
    await probe();
  } catch (err) {
    missing = err instanceof Error ? `${err.message}` : String(err);
  }
  if (missing === undefined) return { skip: false, missing };
  const where = url.replace(/\/\/[^@/]*@/, "//");
  if (REQUIRE_SERVICES) {
    console.error(
      `\n!!! ${service} is required (PARLEY_REQUIRE_SERVICES=1) but unreachable at ${where}: ${missing}\n`,
    );
    return { skip: false, missing };
  }
  console.warn(`[skip] ${service} is unreachable at ${where} (${missing}); skipping its tests.`);
  return { skip: true, missing };
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function postgresGate(url = POSTGRES_URL): Promise<ServiceGate> {
  return gate("PostgreSQL", url, async () => {
    const sql = new SQL({ url, max: 1, connectionTimeout: 3 });
    try {
      await withDeadline(sql`SELECT 1`, 5_000, "PostgreSQL");
    } finally {
      await sql.close({ timeout: 0 });
    }
  });
}

export function redisGate(url = REDIS_URL): Promise<ServiceGate> {
  return gate("Redis", url, async () => {
    const redis = new RedisClient(url, { autoReconnect: false, connectionTimeout: 3_000 });
    try {
      await withDeadline(redis.send("PING", []), 5_000, "Redis");
    } finally {
      redis.close();
    }
  });
}

/** Throws the gate's reason: the first line of a required suite, so CI says what is missing. */
export function assertReachable(service: string, g: ServiceGate): void {
  if (g.missing !== undefined) {
    throw new Error(`${service} is required but unreachable: ${g.missing}`);
  }
}

export interface TestDatabase {
  /** Connection URL of the fresh, empty database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty database for this run on the server that `url` points at. */
export async function createTestDatabase(url = POSTGRES_URL): Promise<TestDatabase> {
  const name = `parley_test_${runId()}`;
  const admin = new SQL({ url, max: 1, connectionTimeout: 5 });
  try {
    await admin`CREATE DATABASE ${admin(name)}`;
  } finally {
    await admin.close({ timeout: 0 });
  }
  return {
    url: withDatabase(url, name),
    name,
    async drop() {
      const again = new SQL({ url, max: 1, connectionTimeout: 5 });
      try {
        // FORCE ends connections a failed test may have left open.
        await again`DROP DATABASE IF EXISTS ${again(name)} WITH (FORCE)`;
      } finally {
        await again.close({ timeout: 0 });
      }
    },
  };
}

/** Ends every server-side connection to `database`, as a failover or an admin would. */
export async function terminateConnections(database: string, url = POSTGRES_URL): Promise<number> {
  const admin = new SQL({ url, max: 1, connectionTimeout: 5 });
  try {
    const rows = await admin`
      SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE datname = ${database} AND pid <> pg_backend_pid()`;
    return rows.length;
  } finally {
    await admin.close({ timeout: 0 });
  }
}

/** Redis client ids whose connection name starts with `prefix` (see CLIENT SETNAME). */
export async function redisClientIds(admin: RedisClient, prefix: string): Promise<string[]> {
  const list: string = await admin.send("CLIENT", ["LIST"]);
  const ids: string[] = [];
  for (const line of list.split("\n")) {
    const name = / name=(\S*)/.exec(line)?.[1];
    const id = /^id=(\d+)/.exec(line)?.[1];
    if (id && name?.startsWith(prefix)) ids.push(id);
  }
  return ids;
}

/** Kills the Redis connections named with `prefix`, as a Redis restart or a network cut would. */
export async function killRedisClients(admin: RedisClient, prefix: string): Promise<number> {
  let killed = 0;
  for (const id of await redisClientIds(admin, prefix)) {
    killed += Number(await admin.send("CLIENT", ["KILL", "ID", id]));
  }
  return killed;
}

/**
 * A TCP proxy in front of a service, so a test can make the service unreachable for one client
 * and bring it back, without touching the shared server. `down()` cuts every connection and
 * refuses new ones; `up()` listens again on the same port. `silence()` is the nastier failure:
 * connections stay open but every byte is dropped both ways, as when a link dies without a
 * FIN or RST; `speak()` ends it, resetting the connections that lost bytes.
 */
export interface TcpProxy {
  port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  silence(): void;
  speak(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  /** Connection pairs that dropped bytes: their streams are corrupt, so speak() ends them. */
  const broken = new Set<Socket>();
  let silent = false;
  let port = 0;
  let server: Server | undefined;

  const forward = (from: Socket, to: Socket, pair: Socket) => {
    from.on("data", (chunk) => {
      if (silent) broken.add(pair);
      else if (!to.write(chunk)) from.pause();
    });
    to.on("drain", () => from.resume());
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = tcpConnect(targetPort, targetHost);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on("close", () => {
            sockets.delete(sock);
            broken.delete(client);
            client.destroy();
            upstream.destroy();
          });
          sock.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        forward(client, upstream, client);
        forward(upstream, client, client);
        if (silent) broken.add(client);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        const addr = s.address();
        if (addr && typeof addr === "object") port = addr.port;
        server = s;
        resolve();
      });
    });

  const down = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    down,
    async up() {
      if (!server) await listen();
    },
    silence() {
      silent = true;
    },
    speak() {
      silent = false;
      for (const client of broken) client.destroy();
      broken.clear();
    },
    close: down,
  };
}

/** Polls `check` until it returns true, or throws after `ms` (generous: the machine is loaded). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}
