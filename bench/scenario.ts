/**
 * What every scenario shares: its result shape, the exact-count checks, and a fresh Parley (or
 * relay) per scenario on its own temporary database, so no scenario inherits another's state.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Seeder } from "./seed.ts";
import { type RunningTarget, type StartOptions, startParley, startRelay } from "./target.ts";

export interface Settings {
  quick: boolean;
  /** Load processes for the heavy client workloads. */
  procs: number;
  /** When set, servers run under Bun's CPU profiler and write here, one file per server. */
  profileDir?: string;
  /** Flags Parley is started with (raised limits; see docs/performance.md). */
  parleyFlags: string[];
  log(line: string): void;
}

/** One reported number: its value, unit, and (when it has one) the target it is held to. */
export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** Higher is better ("min") or lower is better ("max"). */
  target?: { kind: "min" | "max"; value: number };
  /** Parley's figure divided by the relay's, from the same run. */
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
    const seeder = new Seeder(db);
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
