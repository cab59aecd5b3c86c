#!/usr/bin/env bun
/**
 * `bun run fuzz [--seed N] [--frames N] [--lanes N] [--tolerate ISSUE]`: generated hostile input
 * at a real server (a child process), with invariants checked during and after. Prints the seed
 * first and, on failure, the command that replays the same inputs; exits 1 on any violation.
 */
import { runFuzz } from "./fuzz/campaign.ts";
import { randomSeed } from "./fuzz/random.ts";
import { formatViolation, KNOWN_ISSUES } from "./fuzz/violations.ts";

const USAGE = `usage: bun bench/fuzz.ts [--seed N] [--frames N] [--lanes N] [--tolerate ISSUE]...
  --seed N        replay a run (default: a random seed)
  --frames N      WebSocket frames in all (default 50000)
  --lanes N       concurrent fuzz sockets per server (default 3)
  --tolerate ID   report a known issue apart instead of failing: ${KNOWN_ISSUES.map((k) => k.id).join(", ") || "none at present"}`;

function parseArgs(argv: string[]) {
  const out = { seed: randomSeed(), frames: 50_000, lanes: 3, tolerate: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const int = () => {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a whole number`);
      i++;
      return n;
    };
    if (flag === "--seed") out.seed = int() >>> 0;
    else if (flag === "--frames") out.frames = int();
    else if (flag === "--lanes") out.lanes = Math.max(1, int());
    else if (flag === "--tolerate" && value) {
      out.tolerate.push(value);
      i++;
    } else throw new Error(`unknown argument ${flag}`);
  }
  return out;
}

let args: ReturnType<typeof parseArgs>;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`fuzz: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

const replay = `bun bench/fuzz.ts --seed ${args.seed} --frames ${args.frames} --lanes ${args.lanes}${args.tolerate.map((t) => ` --tolerate ${t}`).join("")}`;
console.log(`fuzz: seed ${args.seed}, ${args.frames} frames, ${args.lanes} lanes`);
const report = await runFuzz({ ...args, log: (line) => console.log(line) });

for (const p of report.profiles) {
  console.log(`\n${p.name} limits (${p.frames} frames, ${(p.elapsedMs / 1000).toFixed(1)} s):`);
  console.log(`  sent by kind:   ${p.stats.sent.format()}`);
  console.log(`  replies:        ${p.stats.replies.format()}`);
  console.log(
    `  server closes:  ${p.stats.closes.format() || "none"} (${p.stats.connections} connections, ${p.stats.unanswered} frames unanswered after a close)`,
  );
  console.log(`  http statuses:  ${p.stats.http.format()}`);
  console.log(`  bystanders:     ${p.stats.bystanderMessages} deliveries, in order`);
}
console.log(
  `\n${report.frames} frames in ${(report.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.framesPerSecond)} frames/s while fuzzing)`,
);
for (const { issue, count, first } of report.violations.known.values()) {
  console.log(
    `known issue ${issue.id} (${count}x, tolerated): ${issue.summary}\n  ${formatViolation(first)}`,
  );
}
const found = report.violations.found;
if (found.length === 0) {
  console.log("fuzz: all invariants held");
  process.exit(0);
}
console.log(`\nfuzz: ${found.length} invariant violations`);
for (const v of found.slice(0, 30)) console.log(`  ${formatViolation(v)}`);
if (found.length > 30) console.log(`  … and ${found.length - 30} more`);
console.log(`reproduce: ${replay}`);
process.exit(1);
