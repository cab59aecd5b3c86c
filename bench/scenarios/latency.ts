/**
 * Latency: 1,000 connections in 50 rooms of 20, 2,000 messages a second in total for 20 s,
 * open loop. p50/p99/p999 from send to receive at every member, Parley against the relay.
 */
import type { Identity, Target } from "../client-socket.ts";
import { Histogram } from "../histogram.ts";
import { split, startLoad } from "../load-process.ts";
import { cpuFigures, interleave, medians } from "../rounds.ts";
import { expectEqual, expectNoErrors, type Scenario, withParley, withRelay } from "../scenario.ts";

interface Steady {
  rooms: number;
  roomSize: number;
  rate: number;
  seconds: number;
  bodyChars: number;
}

interface SteadyTotals {
  sent: number;
  deliveries: number;
  histogram: Histogram;
  errors: string[];
  /** The server's CPU time over the steady part, in µs. */
  cpuMicros: number;
}

/** Rooms are split whole across processes: a room's sender and receivers share one clock. */
export async function runSteady(
  target: Target,
  identities: Identity[],
  plan: Steady,
  procs: number,
  cpu: () => number = () => 0,
): Promise<SteadyTotals> {
  const load = await startLoad(procs);
  try {
    const parts = split(identities, procs);
    await Promise.all(load.map((p, i) => p.call("connect", target, parts[i] ?? [])));
    const cpuBefore = cpu();
    const results = await Promise.all(
      load.map((p, i) =>
        p.call(
          "steady",
          (plan.rate * (parts[i]?.length ?? 0)) / identities.length,
          plan.seconds * 1000,
          plan.bodyChars,
          plan.roomSize,
        ),
      ),
    );
    const cpuMicros = cpu() - cpuBefore;
    await Promise.all(load.map((p) => p.call("close")));
    const histogram = new Histogram();
    for (const r of results) histogram.merge(r.histogram);
    return {
      sent: results.reduce((n, r) => n + r.sent, 0),
      deliveries: results.reduce((n, r) => n + r.deliveries, 0),
      histogram,
      errors: results.flatMap((r) => r.errors),
      cpuMicros,
    };
  } finally {
    await Promise.all(load.map((p) => p.stop()));
  }
}

export const latency: Scenario = async (settings) => {
  const plan: Steady = settings.quick
    ? { rooms: 10, roomSize: 20, rate: 500, seconds: 2, bodyChars: 100 }
    : { rooms: 50, roomSize: 20, rate: 2000, seconds: 20, bodyChars: 100 };
  const procs = Math.min(settings.procs, plan.rooms);
  const total = Math.round(plan.rate * plan.seconds);
  const failures: string[] = [];
  const pairs = await interleave(settings, "latency", () =>
    withParley(
      settings,
      (seeder) => seeder.rooms(plan.rooms, plan.roomSize),
      async (d, identities) => {
        settings.log(`latency: relay, ${plan.rate}/s for ${plan.seconds} s`);
        const relay = await withRelay(settings, (t) =>
          runSteady({ kind: "relay", wsUrl: t.wsUrl }, identities, plan, procs, t.cpuMicros),
        );
        settings.log("latency: parley");
        const parley = await runSteady(
          { kind: "parley", wsUrl: d.target.wsUrl },
          identities,
          plan,
          procs,
          d.target.cpuMicros,
        );
        for (const [who, r] of [
          ["relay", relay],
          ["parley", parley],
        ] as const) {
          expectNoErrors(failures, `latency ${who} errors`, r.errors);
          expectEqual(failures, `latency ${who} sent`, r.sent, total);
          expectEqual(failures, `latency ${who} deliveries`, r.deliveries, total * plan.roomSize);
        }
        return { relay, parley };
      },
    ),
  );
  const figure = (label: string, p: number, target?: number) => {
    const m = medians(pairs, (r) => r.histogram.quantile(p));
    return {
      label,
      value: m.parley,
      unit: "ms",
      ratio: m.ratio,
      ...(target === undefined ? {} : { target: { kind: "max" as const, value: target } }),
    };
  };
  const relayQ = (p: number) => medians(pairs, (r) => r.histogram.quantile(p)).relay;
  return {
    name: "latency",
    workload: {
      connections: plan.rooms * plan.roomSize,
      rooms: plan.rooms,
      ratePerSecond: plan.rate,
      seconds: plan.seconds,
      bodyChars: plan.bodyChars,
      procs,
      rounds: settings.rounds,
    },
    failures,
    figures: {
      p50: figure("p50", 0.5),
      p99: figure("p99", 0.99, 5),
      p999: figure("p999", 0.999),
      max: { label: "max", value: medians(pairs, (r) => r.histogram.max).parley, unit: "ms" },
      relayP50: { label: "relay p50", value: relayQ(0.5), unit: "ms" },
      relayP99: { label: "relay p99", value: relayQ(0.99), unit: "ms" },
      relayP999: { label: "relay p999", value: relayQ(0.999), unit: "ms" },
      ...cpuFigures(pairs),
    },
  };
};
