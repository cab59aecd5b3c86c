/**
 * Login: argon2id logins per second over HTTP while chat traffic flows, and how much they delay
 * the server's event loop, seen from outside as application-level ping round trips.
 *
 * If the server has no --login-burst flag, its per-address login throttle (20 a minute) is
 * respected by spreading the logins over loopback source addresses 127.0.0.2 and up.
 */
import { request } from "node:http";
import { Histogram } from "../histogram.ts";
import { split, startLoad } from "../load-process.ts";
import { expectEqual, expectNoErrors, type Scenario, withParley } from "../scenario.ts";
import { PASSWORD, type SeededUser } from "../seed.ts";
import { parleyAccepts } from "../target.ts";

const ROOM_SIZE = 20;
const CONCURRENCY = 8;
/** The server's default per-address login burst. */
const PER_ADDRESS = 20;

function login(base: URL, name: string, localAddress: string): Promise<number> {
  const body = JSON.stringify({ username: name, password: PASSWORD });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: "/api/login",
        method: "POST",
        localAddress,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export const loginScenario: Scenario = async (settings) => {
  const plan = settings.quick
    ? { rooms: 5, rate: 200, logins: 40, probeMs: 2, baselineMs: 1500, trafficSeconds: 8 }
    : { rooms: 10, rate: 1000, logins: 400, probeMs: 2, baselineMs: 3000, trafficSeconds: 25 };
  const lifted = parleyAccepts("--login-burst");
  return withParley(
    settings,
    async (seeder) => ({
      chat: await seeder.rooms(plan.rooms, ROOM_SIZE),
      probe: await seeder.rooms(1, 1),
      logins: await seeder.users(plan.logins),
    }),
    async (d, seeded) => {
      const failures: string[] = [];
      const target = { kind: "parley" as const, wsUrl: d.target.wsUrl };
      const [traffic, prober] = await startLoad(2);
      if (!traffic || !prober) throw new Error("no load processes");
      try {
        await traffic.call("connect", target, seeded.chat);
        await prober.call("connect", target, seeded.probe);
        const flowing = traffic.call(
          "steady",
          plan.rate,
          plan.trafficSeconds * 1000,
          100,
          ROOM_SIZE,
        );
        const trafficEnds = performance.now() + plan.trafficSeconds * 1000;
        await Bun.sleep(500);
        settings.log("login: event-loop probe with chat traffic only");
        const baseline = new Histogram();
        baseline.merge(await prober.call("probe", plan.baselineMs, plan.probeMs));

        settings.log(`login: ${plan.logins} logins while chat flows`);
        const base = new URL(d.target.url);
        const users: SeededUser[] = [...seeded.logins];
        const statuses: number[] = [];
        let stop = false;
        const during = new Histogram();
        const probing = (async () => {
          while (!stop) during.merge(await prober.call("probe", 250, plan.probeMs));
        })();
        const started = performance.now();
        await Promise.all(
          split(users, CONCURRENCY).map(async (mine) => {
            for (const u of mine) {
              const n = u.user;
              const address = lifted ? "127.0.0.1" : `127.0.0.${2 + Math.floor(n / PER_ADDRESS)}`;
              statuses.push(await login(base, u.name, address));
            }
          }),
        );
        const ended = performance.now();
        const seconds = (ended - started) / 1000;
        // The lag figure means "while chat flows" only for the part of the logins that the
        // traffic overlapped; on a loaded machine the logins can outlast it. Reported, not failed:
        // the harness fails only on counts.
        const overlap = Math.max(0, Math.min(1, (trafficEnds - started) / (ended - started)));
        stop = true;
        await probing;
        const chat = await flowing;
        expectEqual(
          failures,
          "logins that succeeded",
          statuses.filter((s) => s === 200).length,
          plan.logins,
        );
        expectNoErrors(failures, "login chat errors", chat.errors);
        expectEqual(failures, "login chat deliveries", chat.deliveries, chat.sent * ROOM_SIZE);
        await Promise.all([traffic.call("close"), prober.call("close")]);
        return {
          name: "login",
          workload: {
            logins: plan.logins,
            concurrency: CONCURRENCY,
            chatPerSecond: plan.rate,
            chatConnections: plan.rooms * ROOM_SIZE,
            throttle: lifted ? "--login-burst raised" : "20 per source address",
          },
          failures,
          figures: {
            perSecond: { label: "logins/s", value: plan.logins / seconds, unit: "/s" },
            lagP99: {
              label: "ping RTT p99 during logins",
              value: during.quantile(0.99),
              unit: "ms",
              target: { kind: "max", value: 5 },
            },
            lagMax: { label: "ping RTT max during logins", value: during.max, unit: "ms" },
            overlap: {
              label: "share of the logins with chat flowing",
              value: overlap * 100,
              unit: "%",
            },
            baselineP99: {
              label: "ping RTT p99, chat only",
              value: baseline.quantile(0.99),
              unit: "ms",
            },
          },
        };
      } finally {
        await Promise.all([traffic.stop(), prober.stop()]);
      }
    },
  );
};
