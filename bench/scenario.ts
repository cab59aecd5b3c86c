/**
 * What every scenario shares: its result shape, the exact-count checks, and a fresh Parley (or
 * relay) per scenario on its own temporary database, so no scenario inherits another's state.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Seeder } from "./seed.ts";
import { createServices } from "./services.ts";
import { type RunningTarget, type StartOptions, startParley, startRelay } from "./target.ts";

export interface Settings {
  quick: boolean;
  /** Load processes for the heavy client workloads. */
  procs: number;
  /** Interleaved relay/Parley rounds of fanout, latency and durable (medians are reported). */
  rounds: number;
  /** When set, servers run under Bun's CPU profiler and write here, one file per server. */
  profileDir?: string;
  /** Flags Parley is started with (raised limits; see docs/performance.md). */
  parleyFlags: string[];
  /** Parley nodes for the cluster scenario (PostgreSQL + Redis); 0 when not asked for. */
  nodes: number;
  log(line: string): void;
}

/** One reported number: its value, unit, and (when it has one) the target it is held to. */
export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** Higher is better ("min") or lower is better ("max"). */
  /** With ofRelay, `value` is a multiple of the relay's figure and is held against `ratio`. */
  target?: { kind: "min" | "max"; value: number; ofRelay?: boolean };
  /** Parley's figure divided by the relay's, from the same run (median of the rounds' ratios). */
  ratio?: number;
}

export interface ScenarioResult {
  name: string;
  figures: Record<string, Figure>;
  /** Exact counts that must hold; any failure makes the bench exit non-zero. */
  failures: string[];
  /** Parameters, so the report says exactly what was measured. */
  workload: Record<string, number | string>;
}

export type Scenario = (settings: Settings) => Promise<ScenarioResult>;

export function expectEqual(failures: string[], what: string, actual: number, expected: number) {
  if (actual !== expected) failures.push(`${what}: ${actual}, expected ${expected}`);
}

export function expectNoErrors(failures: string[], what: string, errors: string[]) {
  if (errors.length > 0) failures.push(`${what}: ${errors.slice(0, 3).join(" | ")}`);
}

export interface Deployment {
  target: RunningTarget;
  db: string;
}

/** Seeds a fresh database, starts Parley on it, runs `body`, and always cleans up. */
export async function withParley<S, T>(
  settings: Settings,
  seed: (seeder: Seeder) => Promise<S>,
  body: (d: Deployment, seeded: S) => Promise<T>,
  extraFlags: string[] = [],
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-"));
  const db = join(dir, "parley.db");
  try {
    const seeder = Seeder.sqlite(db);
    const seeded = await seed(seeder);
    await seeder.close();
    const target = await startParley(
      db,
      [...settings.parleyFlags, ...extraFlags],
      profileOptions(settings),
    );
    try {
      return await body({ target, db }, seeded);
    } finally {
      await target.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Cluster {
  nodes: RunningTarget[];
}

/**
 * Like withParley, for `nodes` Parley nodes sharing a fresh PostgreSQL database (seeded through
 * PostgresStore) and a Redis bus under a prefix of their own; both are removed afterwards.
 */
export async function withCluster<S, T>(
  settings: Settings,
  nodes: number,
  seed: (seeder: Seeder) => Promise<S>,
  body: (c: Cluster, seeded: S) => Promise<T>,
): Promise<T> {
  const services = await createServices();
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-"));
  try {
    const seeder = await Seeder.postgres(services.databaseUrl);
    let seeded: S;
    try {
      seeded = await seed(seeder);
    } finally {
      await seeder.close();
    }
    const flags = [
      ...settings.parleyFlags,
      "--database-url",
      services.databaseUrl,
      "--redis-url",
      services.redisUrl,
      "--redis-prefix",
      services.redisPrefix,
    ];
    const started: RunningTarget[] = [];
    try {
      for (let i = 0; i < nodes; i++) {
        // --db is ignored with --database-url, but each node gets its own files directory.
        started.push(await startParley(join(dir, `node${i}.db`), flags, profileOptions(settings)));
      }
      return await body({ nodes: started }, seeded);
    } finally {
      await Promise.all(started.map((t) => t.stop()));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    const keys = await services.remove();
    settings.log(`cluster: dropped the database, deleted ${keys} Redis keys`);
  }
}

export async function withRelay<T>(
  settings: Settings,
  body: (t: RunningTarget) => Promise<T>,
): Promise<T> {
  const target = await startRelay(profileOptions(settings));
  try {
    return await body(target);
  } finally {
    await target.stop();
  }
}

function profileOptions(settings: Settings): StartOptions {
  return settings.profileDir ? { profileDir: settings.profileDir } : {};
}
