/**
 * Cluster fanout (`--nodes N`): the fanout workload against N Parley nodes sharing PostgreSQL
 * and Redis, against one such node, against the default single node on SQLite, and against the
 * bare relay, all in one run. The clients are split evenly across the nodes inside every room,
 * so every message is committed on one node and crosses Redis to reach the other's members.
 * Then the services alone: PostgreSQL commit rate and Redis pub/sub throughput; and the store's
 * append path alone, PostgreSQL against SQLite (bench/append-probe.ts).
 */
import { probeAppends } from "../append-probe.ts";
import { type BurstTotals, runBurst } from "../burst.ts";
import type { Identity } from "../client-socket.ts";
import {
  expectEqual,
  expectNoErrors,
  type Figure,
  type Scenario,
  type Settings,
  withCluster,
  withParley,
  withRelay,
} from "../scenario.ts";
import type { Seeder } from "../seed.ts";
import { probeCommits, probePubSub } from "../service-probe.ts";
import { createServices } from "../services.ts";
import { CLIENTS, FANOUT_PLAN, ROOMS } from "./fanout.ts";

/** About the size of a bus envelope for a 100-character message (`<room> <seq> <msg frame>`). */
const ENVELOPE_BYTES = 240;

const seedRooms = (seeder: Seeder) => seeder.rooms(ROOMS, CLIENTS / ROOMS);

function onNodes(settings: Settings, nodes: number): Promise<BurstTotals> {
  return withCluster(settings, nodes, seedRooms, (c, identities) => {
    settings.log(`cluster: ${nodes} node(s) on PostgreSQL + Redis`);
    const targets = c.nodes.map((t) => ({ kind: "parley" as const, wsUrl: t.wsUrl }));
    return runBurst(targets, identities, FANOUT_PLAN, settings.procs);
  });
}

export const cluster: Scenario = async (settings) => {
  const nodes = Math.max(1, settings.nodes);
  const plan = FANOUT_PLAN;
  const expected = CLIENTS * plan.perClient * plan.roomSize;
  const runs: [string, BurstTotals][] = [];
  await withParley(settings, seedRooms, async (d, identities: Identity[]) => {
    settings.log(`cluster: relay, ${expected} deliveries`);
    runs.push([
      "relay",
      await withRelay(settings, (t) =>
        runBurst({ kind: "relay", wsUrl: t.wsUrl }, identities, plan, settings.procs),
      ),
    ]);
    settings.log("cluster: 1 node on SQLite");
    runs.push([
      "sqlite",
      await runBurst({ kind: "parley", wsUrl: d.target.wsUrl }, identities, plan, settings.procs),
    ]);
  });
  runs.push(["1 node", await onNodes(settings, 1)]);
  runs.push([`${nodes} nodes`, await onNodes(settings, nodes)]);

  const failures: string[] = [];
  for (const [who, r] of runs) {
    expectNoErrors(failures, `cluster ${who} errors`, r.errors);
    expectEqual(failures, `cluster ${who} acks`, r.acks, CLIENTS * plan.perClient);
    expectEqual(failures, `cluster ${who} deliveries`, r.deliveries, expected);
  }
  const rate = Object.fromEntries(runs.map(([who, r]) => [who, r.deliveries / r.seconds]));
  const relay = rate.relay as number;
  const deliveries = (label: string, who: string): Figure => ({
    label,
    value: rate[who] as number,
    unit: "/s",
    ratio: (rate[who] as number) / relay,
  });

  settings.log("cluster: PostgreSQL commits and Redis pub/sub alone");
  const services = await createServices();
  let commits: Awaited<ReturnType<typeof probeCommits>>;
  let pubsub: Awaited<ReturnType<typeof probePubSub>>;
  let appends: Awaited<ReturnType<typeof probeAppends>>;
  try {
    appends = await probeAppends(services.databaseUrl, settings.quick ? 100 : 500);
    commits = await probeCommits(services.databaseUrl, settings.quick ? 200 : 1000);
    const envelopes = settings.quick ? 20_000 : 200_000;
    pubsub = await probePubSub(
      services.redisUrl,
      `${services.redisPrefix}:probe`,
      envelopes,
      ENVELOPE_BYTES,
    );
    expectEqual(failures, "cluster pub/sub envelopes received", pubsub.received, envelopes);
  } finally {
    await services.remove();
  }

  return {
    name: "cluster",
    workload: {
      nodes,
      clients: CLIENTS,
      rooms: ROOMS,
      perClient: plan.perClient,
      window: plan.window,
      bodyChars: plan.bodyChars,
      procs: settings.procs,
    },
    failures,
    figures: {
      nodesDeliveries: deliveries(`${nodes} nodes deliveries/s (PG+Redis)`, `${nodes} nodes`),
      oneNodeDeliveries: deliveries("1 node deliveries/s (PG+Redis)", "1 node"),
      scaling: {
        label: `${nodes} nodes ÷ 1 node`,
        value: (rate[`${nodes} nodes`] as number) / (rate["1 node"] as number),
        unit: "×",
      },
      sqliteDeliveries: deliveries("1 node deliveries/s (SQLite)", "sqlite"),
      relayDeliveries: { label: "relay deliveries/s", value: relay, unit: "/s" },
      commitP50: { label: "PG one commit p50", value: commits.one.quantile(0.5), unit: "ms" },
      commitP99: { label: "PG one commit p99", value: commits.one.quantile(0.99), unit: "ms" },
      commitsSerial: {
        label: "PG commits/s, one connection",
        value: commits.one.count / commits.oneSeconds,
        unit: "/s",
      },
      commitsPooled: {
        label: `PG commits/s, ${commits.connections} connections`,
        value: commits.pooledPerSecond,
        unit: "/s",
      },
      appendsPostgres: {
        label: "store.append msgs/s, PostgreSQL (32 a batch)",
        value: appends.postgres,
        unit: "/s",
      },
      appendsSqlite: {
        label: "store.append msgs/s, SQLite (32 a batch)",
        value: appends.sqlite,
        unit: "/s",
      },
      appendsRatio: {
        label: "PostgreSQL appends ÷ SQLite appends",
        value: appends.postgres / appends.sqlite,
        unit: "×",
      },
      pubsub: {
        label: `Redis pub/sub envelopes/s (${ENVELOPE_BYTES} B)`,
        value: pubsub.perSecond,
        unit: "/s",
      },
    },
  };
};
