/**
 * Abuse: what one ordinary user staying inside every limit can do to everyone else. A bystander
 * sends 10 messages a second to a listener and times each ack; first on a quiet server, then
 * while an attacker (bench/abuser.ts, its own process) runs the costliest mix it may: the
 * largest room pages, history and members over four sockets, room lists and creations over
 * HTTP, on a server holding thousands of rooms. The server runs with its default limits (the
 * bench's raised ones are put back). Target: the bystander's ack p99 under attack at most 2×
 * the quiet p99.
 */
import { join } from "node:path";
import { ClientSocket, type Identity } from "../client-socket.ts";
import { Histogram } from "../histogram.ts";
import { expectEqual, type Scenario, withParley } from "../scenario.ts";

/** The server's defaults, over the bench's raised limits (later flags win). */
const DEFAULT_LIMITS = [
  "--rate",
  "20",
  "--burst",
  "60",
  "--http-rate",
  "10",
  "--http-burst",
  "60",
  "--max-rooms-per-user",
  "100",
];
const SEND_EVERY_MS = 100;

/** Sends one message every SEND_EVERY_MS for `ms`, and returns each ack's round trip. */
async function chat(sender: ClientSocket, listener: ClientSocket, ms: number) {
  const histogram = new Histogram();
  const sentAt: number[] = [];
  let acked = 0;
  sender.on.ack = () => {
    const at = sentAt[acked++];
    if (at !== undefined) histogram.record(performance.now() - at);
  };
  const before = listener.msgs;
  const end = performance.now() + ms;
  let sent = 0;
  while (performance.now() < end) {
    sentAt.push(performance.now());
    sender.send(`bystander ${sent++}`);
    await Bun.sleep(SEND_EVERY_MS);
  }
  const deadline = performance.now() + 30_000;
  while ((acked < sent || listener.msgs - before < sent) && performance.now() < deadline) {
    await Bun.sleep(20);
  }
  return { histogram, sent, acked, delivered: listener.msgs - before };
}

export const abuse: Scenario = async (settings) => {
  const plan = settings.quick
    ? { rooms: 2000, seconds: 4, warmupMs: 1000 }
    : { rooms: 10_000, seconds: 15, warmupMs: 2000 };
  return withParley(
    settings,
    async (seeder) => {
      const [sender, listener, attacker] = await seeder.users(3);
      if (!sender || !listener || !attacker) throw new Error("seed: users");
      const room = await seeder.room([sender, listener, attacker]);
      // Thousands of rooms, each made by its own user (one user may create only 100).
      await seeder.rooms(plan.rooms, 1);
      return { sender, listener, attacker, room };
    },
    async (d, s) => {
      const failures: string[] = [];
      const target = { kind: "parley" as const, wsUrl: d.target.wsUrl };
      const as = (u: typeof s.sender): Identity => ({ ...u, room: s.room });
      const sender = await ClientSocket.open(target, as(s.sender));
      const listener = await ClientSocket.open(target, as(s.listener));
      await sender.join("parley");
      await listener.join("parley");

      settings.log(`abuse: quiet, ${plan.seconds} s`);
      const quiet = await chat(sender, listener, plan.seconds * 1000);

      settings.log(`abuse: under attack, ${plan.seconds} s`);
      const base = d.target.wsUrl.replace(/^ws/, "http").replace(/\/ws$/, "");
      const attacker = Bun.spawn(
        [
          process.execPath,
          join(import.meta.dir, "..", "abuser.ts"),
          JSON.stringify({
            base,
            wsUrl: d.target.wsUrl,
            token: s.attacker.token,
            room: s.room,
            seconds: plan.seconds + plan.warmupMs / 1000 + 1,
          }),
        ],
        { stdout: "pipe", stderr: "inherit" },
      );
      await Bun.sleep(plan.warmupMs);
      const attacked = await chat(sender, listener, plan.seconds * 1000);
      const out = await new Response(attacker.stdout).text();
      await attacker.exited;
      const counts = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Record<string, number>;

      for (const [phase, r] of [
        ["quiet", quiet],
        ["attack", attacked],
      ] as const) {
        expectEqual(failures, `abuse ${phase} acks`, r.acked, r.sent);
        expectEqual(failures, `abuse ${phase} deliveries`, r.delivered, r.sent);
      }
      if (sender.errors.length > 0 || listener.errors.length > 0) {
        failures.push(`abuse bystander errors: ${[...sender.errors, ...listener.errors][0]}`);
      }
      await Promise.all([sender.close(), listener.close()]);
      const q = (h: Histogram, p: number) => h.quantile(p);
      const quietP99 = q(quiet.histogram, 0.99);
      const attackP99 = q(attacked.histogram, 0.99);
      return {
        name: "abuse",
        workload: {
          rooms: plan.rooms + 1,
          seconds: plan.seconds,
          bystanderPerSecond: 1000 / SEND_EVERY_MS,
          attackerFrames: counts.frames ?? 0,
          attackerRateLimited: counts.limited ?? 0,
          attackerHttp: counts.http ?? 0,
          attackerHttpLimited: counts.httpLimited ?? 0,
          attackerRoomsCreated: counts.created ?? 0,
        },
        failures,
        figures: {
          quietP50: {
            label: "bystander ack p50, quiet",
            value: q(quiet.histogram, 0.5),
            unit: "ms",
          },
          quietP99: { label: "bystander ack p99, quiet", value: quietP99, unit: "ms" },
          attackP50: {
            label: "bystander ack p50, under attack",
            value: q(attacked.histogram, 0.5),
            unit: "ms",
          },
          attackP99: { label: "bystander ack p99, under attack", value: attackP99, unit: "ms" },
          p99Ratio: {
            label: "ack p99 under attack ÷ quiet",
            value: attackP99 / quietP99,
            unit: "×",
            target: { kind: "max", value: 2 },
          },
        },
      };
    },
    DEFAULT_LIMITS,
  );
};
