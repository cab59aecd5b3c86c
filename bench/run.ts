#!/usr/bin/env bun
/**
 * `bun run bench [--quick] [--json] [--only a,b] [--procs N] [--rounds N] [--cpus N] [--profile DIR]
 *   [--nodes N]`
 *
 * fanout, latency and durable run `--rounds` interleaved rounds (relay, Parley, relay, Parley…;
 * 3 by default, 1 with --quick) and report medians, with the server CPU per delivery of both.
 * `--cpus N` runs the whole bench (servers and load) pinned to CPUs 0..N-1 with taskset.
 * Runs every scenario against a fresh Parley (and the bare relay where there is a baseline) and
 * prints a table, or one JSON object with a key per scenario. `--nodes N` runs the cluster
 * scenario (fanout on N nodes sharing PostgreSQL and Redis against one such node, and the store's
 * append path, PostgreSQL against SQLite; bench/scenarios/cluster.ts) and the storm scenario (a
 * reconnect storm on the survivors; bench/scenarios/storm.ts) instead; only they need those
 * services. Exits non-zero when any exact
 * count fails, so `--quick` in CI proves the harness and the server still agree.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isMet, type Report, table } from "./report.ts";
import type { Scenario, ScenarioResult, Settings } from "./scenario.ts";
import { abuse } from "./scenarios/abuse.ts";
import { cluster } from "./scenarios/cluster.ts";
import { durable } from "./scenarios/durable.ts";
import { fanout } from "./scenarios/fanout.ts";
import { history } from "./scenarios/history.ts";
import { historyEvents } from "./scenarios/history-events.ts";
import { idle } from "./scenarios/idle.ts";
import { latency } from "./scenarios/latency.ts";
import { loginScenario } from "./scenarios/login.ts";
import { reconnect } from "./scenarios/reconnect.ts";
import { search } from "./scenarios/search.ts";
import { storm } from "./scenarios/storm.ts";
import { binaryIsFresh } from "./target.ts";

const SCENARIOS: Record<string, Scenario> = {
  fanout,
  latency,
  idle,
  reconnect,
  durable,
  history,
  "history-events": historyEvents,
  search,
  login: loginScenario,
  abuse,
};

/**
 * Limits the bench lifts so that it measures the server, not its per-client throttles: frames
 * per connection, connections per user and per address (every client is 127.0.0.1), logins per
 * address, and API requests per address (400 logins from one address are 10 s of its budget).
 * The abuse scenario puts the defaults back for its own server.
 */
const PARLEY_FLAGS = [
  "--log-level",
  "warn",
  "--rate",
  "1000000",
  "--burst",
  "1000000",
  "--max-connections-per-user",
  "100000",
  "--max-connections-per-address",
  "100000",
  "--login-burst",
  "1000000",
  "--http-rate",
  "1000000",
  "--http-burst",
  "1000000",
];

function flag(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const arg = argv[i] as string;
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[i + 1];
}

function openFilesLimit(): string {
  const limits = readFileSync("/proc/self/limits", "utf8");
  return /Max open files\s+(\d+)/.exec(limits)?.[1] ?? "unknown";
}

/**
 * The bench again under `taskset -c 0-(N-1)`: the affinity is inherited by every server, relay
 * and load process it starts, so all of them share those N CPUs (2 against more shows whether
 * a choice such as a writer thread depends on spare cores).
 */
async function pinned(argv: string[], cpus: string): Promise<number> {
  const n = Number(cpus);
  if (!(Number.isInteger(n) && n >= 1 && n <= availableParallelism())) {
    console.error(`bench: --cpus must be a whole number from 1 to ${availableParallelism()}`);
    return 2;
  }
  const i = argv.findIndex((a) => a === "--cpus" || a.startsWith("--cpus="));
  const rest = argv.filter((_, j) => j !== i && !(argv[i] === "--cpus" && j === i + 1));
  const child = Bun.spawn(
    ["taskset", "-c", `0-${n - 1}`, process.execPath, import.meta.path, ...rest],
    {
      stdio: ["inherit", "inherit", "inherit"],
      env: { ...process.env, PARLEY_BENCH_CPUS: `0-${n - 1}` },
    },
  );
  return await child.exited;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    console.log(
      "Usage: bun run bench [--quick] [--json] [--only fanout,latency,…] [--procs N] [--rounds N] [--cpus N] [--profile DIR] [--nodes N]",
    );
    console.log(`Scenarios: ${Object.keys(SCENARIOS).join(", ")}`);
    console.log(
      "--nodes N: fanout on N nodes (PostgreSQL + Redis) against 1, SQLite and the relay; needs DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) and REDIS_URL (default redis://127.0.0.1:6379)",
    );
    return 0;
  }
  const cpus = flag(argv, "--cpus");
  if (cpus !== undefined) return pinned(argv, cpus);
  const json = argv.includes("--json");
  const quick = argv.includes("--quick");
  const rounds = Number(flag(argv, "--rounds") ?? (quick ? 1 : 3));
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) {
    console.error(`bench: --rounds must be a whole number from 1 to 20, not "${rounds}"`);
    return 2;
  }
  const nodesFlag = flag(argv, "--nodes");
  const nodes = nodesFlag === undefined ? 0 : Number(nodesFlag);
  if (nodesFlag !== undefined && !(Number.isInteger(nodes) && nodes >= 1 && nodes <= 8)) {
    console.error(`bench: --nodes must be a whole number from 1 to 8, not "${nodesFlag}"`);
    return 2;
  }
  const scenarios: Record<string, Scenario> = nodes > 0 ? { cluster, storm } : SCENARIOS;
  const only = flag(argv, "--only")?.split(",") ?? Object.keys(scenarios);
  const unknown = only.filter((name) => !scenarios[name]);
  if (unknown.length > 0) {
    console.error(`bench: unknown scenario ${unknown.join(", ")}`);
    return 2;
  }
  const profileDir = flag(argv, "--profile");
  const settings: Settings = {
    quick,
    procs: Number(flag(argv, "--procs") ?? 2),
    rounds,
    parleyFlags: PARLEY_FLAGS,
    nodes,
    log: (line) => {
      if (!json) console.error(`  … ${line}`);
    },
    ...(profileDir ? { profileDir } : {}),
  };
  const started = performance.now();
  const results: Record<string, ScenarioResult> = {};
  const failures: string[] = [];
  for (const name of only) {
    try {
      const result = await (scenarios[name] as Scenario)(settings);
      results[name] = result;
      failures.push(...result.failures);
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const report: Report = {
    date: new Date().toISOString(),
    command: `bun run bench ${argv.join(" ")}`.trim(),
    server: profileDir || !binaryIsFresh() ? "bun server.ts" : "dist/parley-server",
    machine: {
      cpus: availableParallelism(),
      ...(process.env.PARLEY_BENCH_CPUS ? { pinned: process.env.PARLEY_BENCH_CPUS } : {}),
      bun: Bun.version,
      openFiles: openFilesLimit(),
    },
    seconds: (performance.now() - started) / 1000,
    scenarios: results,
    failures,
  };
  if (json) {
    const targets = Object.fromEntries(
      Object.values(results).flatMap((s) =>
        Object.entries(s.figures)
          .filter(([, f]) => f.target)
          .map(([key, f]) => [`${s.name}.${key}`, isMet(f)]),
      ),
    );
    console.log(JSON.stringify({ ...report, targets }, null, 2));
  } else {
    console.log(table(report));
  }
  return failures.length === 0 ? 0 : 1;
}

process.exit(await main());
