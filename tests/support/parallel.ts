/**
 * Makes a plain `bun test` run the whole suite in parallel worker processes.
 *
 * Bun 1.4 has `bun test --parallel[=N]` but no bunfig.toml key for it, and the README's one
 * command is `bun test`. So bunfig.toml preloads this file: in the coordinating process of a
 * whole-suite run (no file filters, not already parallel) it starts the same command with
 * `--parallel` and the saved per-file timings (slowest files first), waits, and exits with its
 * code before any test file loads. Workers run with BUN_TEST_WORKER_ID set and pass through.
 *
 * Left alone: `bun test some/file.test.ts` (runs as asked), an explicit `--parallel`,
 * `PARLEY_TEST_SERIAL=1 bun test` (the escape hatch), and systems without /proc.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
/** Per-file durations from a previous run: `--parallel` starts the slowest files first. */
const TIMINGS = join(ROOT, "tests", "timings.json");
/**
 * Workers per core. The tests mostly wait on sockets, child processes and fsync, not CPU, so
 * two workers per core keep both cores busy; more made the loaded 2-core machine thrash.
 */
const WORKERS_PER_CORE = 2;

function originalArgs(): string[] | undefined {
  try {
    return readFileSync("/proc/self/cmdline", "utf8").split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}

function parallelCommand(): string[] | undefined {
  if (process.env.BUN_TEST_WORKER_ID !== undefined) return undefined;
  if (process.env.PARLEY_TEST_SERIAL === "1") return undefined;
  const args = originalArgs();
  const at = args?.indexOf("test") ?? -1;
  if (!args || at < 0) return undefined;
  const rest = args.slice(at + 1);
  // A filter or a flag that changes how files run: do exactly what was asked.
  if (rest.some((a) => !a.startsWith("-") || /^--(parallel|shard|test-worker|isolate)/.test(a))) {
    return undefined;
  }
  const workers = Math.max(2, navigator.hardwareConcurrency * WORKERS_PER_CORE);
  const ownTimings = rest.some((a) => a.startsWith("--timings"));
  const timings = !ownTimings && existsSync(TIMINGS) ? [`--timings=${TIMINGS}`] : [];
  return [process.execPath, "test", `--parallel=${workers}`, ...timings, ...rest];
}

const command = parallelCommand();
if (command) {
  const child = Bun.spawnSync(command, {
    cwd: process.cwd(),
    stdio: ["inherit", "inherit", "inherit"],
    env: process.env,
  });
  process.exit(child.exitCode ?? 1);
}
