/**
 * Fanout: 64 clients in 2 rooms, each sending 500 messages with at most 8 of its own
 * unacknowledged. Deliveries per second counted at the receivers, Parley against the relay.
 */
import { type BurstPlan, runBurst } from "../burst.ts";
import { cpuFigures, interleave, medians } from "../rounds.ts";
import {
  expectEqual,
  expectNoErrors,
  type Scenario,
  type ScenarioResult,
  withParley,
  withRelay,
} from "../scenario.ts";

export const CLIENTS = 64;
export const ROOMS = 2;

/** The fanout workload; the cluster scenario runs the same one across nodes. */
export const FANOUT_PLAN: BurstPlan = {
  perClient: 500,
  window: 8,
  bodyChars: 100,
  roomSize: CLIENTS / ROOMS,
};

export const fanout: Scenario = async (settings) => {
  const plan = FANOUT_PLAN;
  const expected = CLIENTS * plan.perClient * plan.roomSize;
  const failures: string[] = [];
  // Each round on a fresh Parley (and relay): the load's client ids repeat from round to round.
  const pairs = await interleave(settings, "fanout", () =>
    withParley(
      settings,
      (seeder) => seeder.rooms(ROOMS, CLIENTS / ROOMS),
      async (d, identities) => {
        settings.log(`fanout: relay, ${expected} deliveries`);
        const relay = await withRelay(settings, (t) =>
          runBurst(
            { kind: "relay", wsUrl: t.wsUrl },
            identities,
            plan,
            settings.procs,
            t.cpuMicros,
          ),
        );
        settings.log(`fanout: parley (${d.target.command})`);
        const parley = await runBurst(
          { kind: "parley", wsUrl: d.target.wsUrl },
          identities,
          plan,
          settings.procs,
          d.target.cpuMicros,
        );
        for (const [who, r] of [
          ["relay", relay],
          ["parley", parley],
        ] as const) {
          expectNoErrors(failures, `fanout ${who} errors`, r.errors);
          expectEqual(failures, `fanout ${who} acks`, r.acks, CLIENTS * plan.perClient);
          expectEqual(failures, `fanout ${who} deliveries`, r.deliveries, expected);
        }
        return { relay, parley };
      },
    ),
  );
  const rate = medians(pairs, (r) => r.deliveries / r.seconds);
  const time = medians(pairs, (r) => r.seconds * 1000);
  const result: ScenarioResult = {
    name: "fanout",
    workload: {
      clients: CLIENTS,
      rooms: ROOMS,
      perClient: plan.perClient,
      window: plan.window,
      bodyChars: plan.bodyChars,
      procs: settings.procs,
      rounds: settings.rounds,
    },
    failures,
    figures: {
      deliveriesPerSecond: {
        label: settings.rounds > 1 ? `deliveries/s (median of ${settings.rounds})` : "deliveries/s",
        value: rate.parley,
        unit: "/s",
        ratio: rate.ratio,
        target: { kind: "min", value: 0.75, ofRelay: true },
      },
      relayDeliveriesPerSecond: { label: "relay deliveries/s", value: rate.relay, unit: "/s" },
      ...cpuFigures(pairs),
      seconds: { label: "time", value: time.parley, unit: "ms" },
      relaySeconds: { label: "relay time", value: time.relay, unit: "ms" },
    },
  };
  return result;
};
