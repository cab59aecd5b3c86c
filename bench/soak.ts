#!/usr/bin/env bun
/**
 * `bun run soak [--clients 50] [--seconds 30] [--kill-every S] [--seed N] [--rooms N] [--rate R]`:
 * many clients on the real connection layer against a server that is SIGKILLed and restarted
 * at random. Prints one report; exits 1 if any message was lost or duplicated (or stuck).
 */
import { randomSeed } from "./fuzz/random.ts";
import { failed } from "./soak/ledger.ts";
import { runSoak, type SoakOptions } from "./soak/run.ts";

const USAGE = `usage: bun bench/soak.ts [--clients 50] [--seconds 30] [--kill-every S] [--seed N]
  [--rooms N] [--rate MSGS_PER_CLIENT_PER_S] [--drain-seconds 60] [--freeze-share F]
  --kill-every S    SIGKILL the server every S seconds on average (seeded); 0 or absent: never
  --freeze-share F  make that share (0-1) of those events a SIGSTOP of 1-15 s instead`;

function parseArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { seed: randomSeed(), clients: 50, seconds: 30, killEvery: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number`);
    i++;
    if (flag === "--clients") o.clients = Math.max(1, Math.floor(n));
    else if (flag === "--seconds") o.seconds = n;
    else if (flag === "--kill-every") o.killEvery = n;
    else if (flag === "--seed") o.seed = Math.floor(n) >>> 0;
    else if (flag === "--rooms") o.rooms = Math.max(1, Math.floor(n));
    else if (flag === "--rate") o.rate = n;
    else if (flag === "--drain-seconds") o.drainSeconds = n;
    else if (flag === "--freeze-share") o.freezeShare = Math.min(1, n);
    else throw new Error(`unknown argument ${flag}`);
  }
  return o;
}

let options: SoakOptions;
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`soak: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

console.log(
  `soak: seed ${options.seed}, ${options.clients} clients, ${options.seconds} s, ` +
    (options.killEvery > 0 ? `SIGKILL every ~${options.killEvery} s` : "no kills"),
);
const r = await runSoak({ ...options, log: (line) => console.log(line) });
const c = r.counts;
const down = r.kills.map((k) => k.downMs);
console.log(`
kills:       ${r.kills.length}${down.length ? ` (down ${Math.min(...down)}–${Math.max(...down)} ms; at ${r.kills.map((k) => `${k.at.toFixed(1)}s`).join(", ")})` : ""}
freezes:     ${r.freezes.length}${r.freezes.length ? ` (${r.freezes.map((f) => `${(f.frozenMs / 1000).toFixed(1)}s at ${f.at.toFixed(1)}s`).join(", ")})` : ""}
reconnects:  ${r.reconnects}
drain:       ${r.drained ? "complete" : "INCOMPLETE"} in ${(r.drainMs / 1000).toFixed(1)} s
sent:        ${c.sent}
acked:       ${c.acked}
stored:      ${c.stored}
delivered:   ${c.delivered} of ${c.expectedDeliveries} (stored messages × room members)
lost:        ${c.lost.total} (acked but not stored ${c.lost.ackedNotStored}, stored but not delivered ${c.lost.storedNotDelivered})
duplicated:  ${c.duplicated.total} (delivered twice ${c.duplicated.deliveredTwice}, stored twice ${c.duplicated.storedTwice})
other:       mismatched ${c.mismatched}, unsent ${c.unsent}, refused ${c.refused}, out of order ${c.disordered}, clients stopped ${c.stopped}
store:       ${r.store.length === 0 ? "integrity_check ok, seqs gapless" : r.store.map((v) => v.detail).join("; ")}
server log:  ${r.serverErrors.length === 0 ? "no errors" : r.serverErrors.slice(0, 5).join(" | ")}`);
for (const e of c.examples) console.log(`  ${e}`);

const bad = failed(c) || r.store.length > 0 || !r.drained;
console.log(bad ? "soak: FAILED" : "soak: nothing lost, nothing duplicated");
if (bad) {
  console.log(
    `reproduce: bun bench/soak.ts --seed ${options.seed} --clients ${options.clients} --seconds ${options.seconds} --kill-every ${options.killEvery}` +
      `${options.rooms ? ` --rooms ${options.rooms}` : ""}${options.rate ? ` --rate ${options.rate}` : ""}${options.freezeShare ? ` --freeze-share ${options.freezeShare}` : ""}`,
  );
}
process.exit(bad ? 1 : 0);
