/**
 * Fanout: 64 clients in 2 rooms, each sending 500 messages with at most 8 of its own
 * unacknowledged. Deliveries per second counted at the receivers, Parley against the relay.
 */
import { type BurstPlan, runBurst } from "../burst.ts";
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
  return withParley(
    settings,
    (seeder) => seeder.rooms(ROOMS, CLIENTS / ROOMS),
    async (d, identities) => {
      const failures: string[] = [];
      settings.log(`fanout: relay, ${expected} deliveries`);
      const relay = await withRelay(settings, (t) =>
        runBurst({ kind: "relay", wsUrl: t.wsUrl }, identities, plan, settings.procs),
      );
      settings.log(`fanout: parley (${d.target.command})`);
      const parley = await runBurst(
        { kind: "parley", wsUrl: d.target.wsUrl },
        identities,
        plan,
        settings.procs,
      );
      for (const [who, r] of [
        ["relay", relay],
        ["parley", parley],
      ] as const) {
        expectNoErrors(failures, `fanout ${who} errors`, r.errors);
        expectEqual(failures, `fanout ${who} acks`, r.acks, CLIENTS * plan.perClient);
        expectEqual(failures, `fanout ${who} deliveries`, r.deliveries, expected);
      }
      const rate = (r: typeof relay) => r.deliveries / r.seconds;
      const result: ScenarioResult = {
        name: "fanout",
        workload: {
          clients: CLIENTS,
          rooms: ROOMS,
          perClient: plan.perClient,
          window: plan.window,
          bodyChars: plan.bodyChars,
          procs: settings.procs,
        },
        failures,
        figures: {
          deliveriesPerSecond: {
            label: "deliveries/s",
            value: rate(parley),
            unit: "/s",
            ratio: rate(parley) / rate(relay),
            target: { kind: "min", value: 0.6 * rate(relay) },
          },
          relayDeliveriesPerSecond: { label: "relay deliveries/s", value: rate(relay), unit: "/s" },
          seconds: { label: "time", value: parley.seconds * 1000, unit: "ms" },
          relaySeconds: { label: "relay time", value: relay.seconds * 1000, unit: "ms" },
        },
      };
      return result;
    },
  );
};
