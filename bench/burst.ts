/**
 * A closed-loop burst across load processes: every client sends its messages keeping a bounded
 * window unacknowledged. Fanout and durable writes are both this, with different room sizes.
 */
import type { Identity, Target } from "./client-socket.ts";
import { split, startLoad } from "./load-process.ts";

export interface BurstPlan {
  perClient: number;
  window: number;
  bodyChars: number;
  /** Members per room: each message is delivered this many times, the sender's echo included. */
  roomSize: number;
}

export interface BurstTotals {
  seconds: number;
  sent: number;
  acks: number;
  deliveries: number;
  errors: string[];
  /** The server's CPU time over the burst itself (connects and closes excluded), in µs. */
  cpuMicros: number;
}

/** With several targets (nodes), each process spreads its clients over all of them. */
export async function runBurst(
  target: Target | Target[],
  identities: Identity[],
  plan: BurstPlan,
  procs: number,
  /** The server's CPU clock (RunningTarget.cpuMicros; summed over nodes when several). */
  cpu: () => number = () => 0,
): Promise<BurstTotals> {
  const load = await startLoad(procs);
  try {
    const parts = split(identities, procs);
    await Promise.all(load.map((p, i) => p.call("connect", target, parts[i] ?? [])));
    const cpuBefore = cpu();
    const results = await Promise.all(
      load.map((p) =>
        p.call(
          "burst",
          plan.perClient,
          plan.window,
          plan.bodyChars,
          plan.perClient * plan.roomSize,
          120_000,
        ),
      ),
    );
    const cpuMicros = cpu() - cpuBefore;
    await Promise.all(load.map((p) => p.call("close")));
    const start = Math.min(...results.map((r) => r.start));
    const end = Math.max(...results.map((r) => r.end));
    return {
      seconds: (end - start) / 1000,
      sent: results.reduce((n, r) => n + r.sent, 0),
      acks: results.reduce((n, r) => n + r.acks, 0),
      deliveries: results.reduce((n, r) => n + r.deliveries, 0),
      errors: results.flatMap((r) => r.errors),
      cpuMicros,
    };
  } finally {
    await Promise.all(load.map((p) => p.stop()));
  }
}
