/**
 * Durable writes: messages acked per second, each acked only after the group commit that holds
 * it is on disk (WAL, synchronous=FULL). Every sender is alone in its room, so fanout is one
 * echo per message and the figure is bound by validation, the store and the commit.
 * Afterwards the database is opened and every acked message must be in it.
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { type BurstPlan, runBurst } from "../burst.ts";
import { Histogram } from "../histogram.ts";
import { cpuFigures, interleave, medians } from "../rounds.ts";
import { expectEqual, expectNoErrors, type Scenario, withParley, withRelay } from "../scenario.ts";

const SENDERS = 64;

/**
 * What one durable commit costs on this disk, beside the server's database: a one-row
 * transaction in WAL mode with synchronous=FULL, as the store opens it. Group commit pays this
 * once per batch, and bun:sqlite pays it on the thread that runs the event loop.
 */
function commitCost(dir: string, commits: number): Histogram {
  const db = new Database(join(dir, "fsync-probe.db"), { create: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = FULL");
  db.run("CREATE TABLE t (x INTEGER)");
  const insert = db.query("INSERT INTO t VALUES (?)");
  const h = new Histogram();
  for (let i = 0; i < commits; i++) {
    const started = performance.now();
    insert.run(i);
    h.record(performance.now() - started);
  }
  db.close();
  return h;
}

export const durable: Scenario = async (settings) => {
  const plan: BurstPlan = {
    perClient: settings.quick ? 200 : 2000,
    window: 32,
    bodyChars: 100,
    roomSize: 1,
  };
  const total = SENDERS * plan.perClient;
  const failures: string[] = [];
  let commit = new Histogram();
  const pairs = await interleave(settings, "durable", () =>
    withParley(
      settings,
      (seeder) => seeder.rooms(SENDERS, 1),
      async (d, identities) => {
        settings.log(`durable: relay, ${total} messages`);
        const relay = await withRelay(settings, (t) =>
          runBurst(
            { kind: "relay", wsUrl: t.wsUrl },
            identities,
            plan,
            settings.procs,
            t.cpuMicros,
          ),
        );
        settings.log(`durable: ${total} messages`);
        const r = await runBurst(
          { kind: "parley", wsUrl: d.target.wsUrl },
          identities,
          plan,
          settings.procs,
          d.target.cpuMicros,
        );
        await d.target.stop();
        commit = commitCost(join(d.db, ".."), settings.quick ? 50 : 300);
        const db = new Database(d.db, { readonly: true });
        const stored = db.query<{ n: number }, []>("SELECT count(*) AS n FROM messages").get()?.n;
        db.close();
        expectNoErrors(failures, "durable relay errors", relay.errors);
        expectEqual(failures, "durable relay acks", relay.acks, total);
        expectNoErrors(failures, "durable errors", r.errors);
        expectEqual(failures, "durable acks", r.acks, total);
        expectEqual(failures, "durable rows stored", stored ?? 0, total);
        return { relay, parley: r };
      },
    ),
  );
  const rate = medians(pairs, (r) => r.acks / r.seconds);
  return {
    name: "durable",
    workload: {
      senders: SENDERS,
      perClient: plan.perClient,
      window: plan.window,
      bodyChars: plan.bodyChars,
      rounds: settings.rounds,
    },
    failures,
    figures: {
      perSecond: {
        label: settings.rounds > 1 ? `messages/s (median of ${settings.rounds})` : "messages/s",
        value: rate.parley,
        unit: "/s",
        ratio: rate.ratio,
        target: { kind: "min", value: 50_000 },
      },
      relayPerSecond: {
        label: "relay messages/s (acked, not stored)",
        value: rate.relay,
        unit: "/s",
      },
      ...cpuFigures(pairs),
      commitP50: {
        label: "one FULL commit (fsync) p50",
        value: commit.quantile(0.5),
        unit: "ms",
      },
      commitP99: {
        label: "one FULL commit (fsync) p99",
        value: commit.quantile(0.99),
        unit: "ms",
      },
    },
  };
};
