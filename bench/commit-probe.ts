/**
 * The group commit alone: `CommitQueue` over a real `SqliteStore` (WAL, synchronous=FULL) on a
 * fresh file, fed an open-loop stream of messages over 50 rooms at a fixed rate, as the latency
 * scenario's server receives them, for each commit hold. No sockets and no load processes, so
 * the figures move far less with the machine's load than the bench's own: commits per second,
 * messages per commit, the process's CPU per message (user + system, every thread) and the
 * submit-to-answer time (the part of a message's latency the hold changes).
 *
 * `bun bench/commit-probe.ts [--rate 2000] [--seconds 10] [--holds 0,1,2] [--batch 64]`
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppendRequest } from "../db/store.ts";
import { SqliteStore } from "../db/store-sqlite.ts";
import { createLogger } from "../src/log/log.ts";
import { CommitQueue } from "../src/server/commit-queue.ts";

const ROOMS = 50;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function probe(rate: number, seconds: number, holdMs: number, holdBatch: number) {
  const dir = mkdtempSync(join(tmpdir(), "parley-commit-probe-"));
  const store = new SqliteStore(join(dir, "probe.db"));
  let commits = 0;
  const append = store.append.bind(store);
  store.append = (batch: readonly AppendRequest[]) => {
    commits++;
    return append(batch);
  };
  try {
    const user = await store.createUser("probe", "h", 1);
    if (user === "taken") throw new Error("commit probe: user exists");
    const rooms: number[] = [];
    for (let i = 0; i < ROOMS; i++) {
      const room = await store.createRoom(`probe${i}`, "", user.id, 1);
      if (room === "taken") throw new Error("commit probe: room exists");
      rooms.push(room.id);
    }
    const queue = new CommitQueue({ store, log: createLogger("silent"), holdMs, holdBatch });
    const sender = { id: user.id, name: user.name };
    const total = Math.round(rate * seconds);
    const latencies: number[] = [];
    let n = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await new Promise<void>((resolve) => {
      // Each timer tick submits the messages due by now, as a loop turn reads the frames due.
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
        for (; n < due; n++) {
          const at = performance.now();
          const ok = queue.submit(
            {
              room: rooms[n % ROOMS] as number,
              sender,
              cid: `c${n}`,
              body: "x".repeat(100),
              ts: 1,
            },
            () => {
              latencies.push(performance.now() - at);
              if (latencies.length === total) resolve();
            },
          );
          if (!ok) throw new Error("commit probe: queue refused a send");
        }
        if (n < total) setTimeout(tick, 0);
      };
      tick();
    });
    const used = process.cpuUsage(cpu);
    await queue.close();
    latencies.sort((a, b) => a - b);
    return {
      holdMs,
      holdBatch,
      commitsPerSecond: Math.round(commits / seconds),
      perCommit: +(total / commits).toFixed(2),
      cpuUsPerMessage: +((used.user + used.system) / total).toFixed(2),
      p50: +quantile(latencies, 0.5).toFixed(2),
      p99: +quantile(latencies, 0.99).toFixed(2),
      p999: +quantile(latencies, 0.999).toFixed(2),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rate = Number(arg("--rate", "2000"));
const seconds = Number(arg("--seconds", "10"));
const holdBatch = Number(arg("--batch", "64"));
const holds = arg("--holds", "0,1,2").split(",").map(Number);
for (const hold of holds) console.log(JSON.stringify(await probe(rate, seconds, hold, holdBatch)));
