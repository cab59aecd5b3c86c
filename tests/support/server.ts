/** Test servers: in-process on port 0, or a real child process that tests may SIGKILL. */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../db/store.ts";
import type { Bus } from "../../src/bus/bus.ts";
import { createLogger, type Logger } from "../../src/log/log.ts";
import { type Config, DEFAULTS } from "../../src/server/config.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";

export const ROOT = join(import.meta.dir, "..", "..");

export function tempDir(prefix = "parley-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestServer extends RunningServer {
  dir: string;
  wsUrl: string;
  logs: string[];
  close(): Promise<void>;
}

/**
 * A real server in this process, on a free port, with a fresh SQLite database unless
 * `extra.store` builds another store (the server closes it when it stops).
 */
export async function startTestServer(
  overrides: Partial<Config> = {},
  extra: {
    now?: () => number;
    log?: Logger;
    /** Builds the store from the temp db path; async for a networked store (PostgresStore.open). */
    store?: (path: string) => Store | Promise<Store>;
    bus?: Bus;
    offlineGraceMs?: number;
  } = {},
): Promise<TestServer> {
  const dir = tempDir();
  const logs: string[] = [];
  const log = extra.log ?? createLogger("debug", (line) => logs.push(line));
  // Every test registers from 127.0.0.1: lift the per-address throttles unless a test sets them.
  // No test here measures hashing, so new passwords get the server's minimal argon2id cost.
  const config: Config = {
    ...DEFAULTS,
    port: 0,
    db: join(dir.path, "parley.db"),
    loginBurst: 10_000,
    signupBurst: 10_000,
    passwordCost: "minimal",
    httpRate: 10_000,
    httpBurst: 10_000,
    ...overrides,
  };
  const server = await startServer({
    config,
    log,
    ...(extra.now ? { now: extra.now } : {}),
    ...(extra.store ? { store: await extra.store(config.db) } : {}),
    ...(extra.offlineGraceMs !== undefined ? { offlineGraceMs: extra.offlineGraceMs } : {}),
    ...(extra.bus ? { bus: extra.bus } : {}),
  });
  return {
    ...server,
    dir: dir.path,
    logs,
    wsUrl: `${server.url.replace(/^http/, "ws")}/ws`,
    async close() {
      await server.stop();
      dir.remove();
    },
  };
}

/** The frame rate a suite's server allows: more than any test sends, so no test meets RATE_LIMITED. */
const LIFTED = { rate: 10_000, burst: 10_000 } as const;

/**
 * The server of the enclosing block (or file): started before its first test with every rate
 * limit lifted (`overrides` may set some again), stopped after its last. Read it only inside
 * tests and hooks; before the block starts, reading it throws.
 */
export function suiteServer(overrides: Partial<Config> = {}): TestServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer({ ...LIFTED, ...overrides });
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as TestServer, {
    get(_, key) {
      if (!started) throw new Error("the suite's server starts before its first test");
      const value = Reflect.get(started, key);
      return typeof value === "function" ? value.bind(started) : value;
    },
  });
}

/** A temporary folder for the enclosing block (or file), removed after its last test. */
export function suiteDir(prefix?: string): { path: string; remove(): void } {
  const dir = tempDir(prefix);
  afterAll(() => dir.remove());
  return dir;
}

export interface ChildServer {
  url: string;
  wsUrl: string;
  /** The IRC gateway's irc:// and ircs:// URLs, printed before the URL line (--irc-port). */
  ircUrls: string[];
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `bun server.ts` as a child process, resolved once it prints its URL. Pass the same db path
 * (and port) again to restart it on the same data after a kill.
 */
export async function spawnServer(args: {
  db: string;
  port?: number;
  extraArgs?: string[];
  command?: string[];
}): Promise<ChildServer> {
  const command = args.command ?? [process.execPath, join(ROOT, "server.ts")];
  const proc = Bun.spawn(
    [
      ...command,
      "--port",
      String(args.port ?? 0),
      "--db",
      args.db,
      "--log-level",
      "warn",
      "--login-burst",
      "10000",
      "--signup-burst",
      "10000",
      "--password-cost",
      "minimal",
      "--http-rate",
      "10000",
      "--http-burst",
      "10000",
      ...(args.extraArgs ?? []),
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env } },
  );
  const { url, ircUrls } = await readUrl(proc);
  return {
    url,
    wsUrl: `${url.replace(/^http/, "ws")}/ws`,
    ircUrls,
    proc,
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function readUrl(
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">,
): Promise<{ url: string; ircUrls: string[] }> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    const match = /listening on (\S+)/.exec(seen);
    if (match?.[1]) {
      reader.releaseLock();
      // Keep draining both pipes so the child never blocks on a full one.
      proc.stdout.pipeTo(new WritableStream()).catch(() => {});
      proc.stderr.pipeTo(new WritableStream()).catch(() => {});
      const ircUrls = [...seen.matchAll(/IRC gateway at (\S+)/g)].map((m) => m[1] as string);
      return { url: match[1], ircUrls };
    }
  }
  const stderr = await new Response(proc.stderr).text().catch(() => "");
  throw new Error(`server did not start: ${seen}${stderr}`);
}
