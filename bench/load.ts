/**
 * A load process: the child side of bench/load-process.ts. It owns one Fleet and runs the calls
 * the parent sends over IPC, one at a time, replying with each result or error.
 */
import { Fleet } from "./fleet.ts";

/** However the parent fares, a load process never outlives this. */
const LIFETIME_MS = 20 * 60_000;

export interface Call {
  seq: number;
  method: keyof Fleet;
  args: unknown[];
}

export type Reply =
  | { seq: number; ok: true; value: unknown }
  | { seq: number; ok: false; error: string };

const fleet = new Fleet();
const lifetime = setTimeout(() => process.exit(3), LIFETIME_MS);
lifetime.unref();

process.on("disconnect", () => process.exit(0));
process.on("message", async (message: Call) => {
  let reply: Reply;
  try {
    const method = fleet[message.method] as (...args: unknown[]) => Promise<unknown>;
    reply = { seq: message.seq, ok: true, value: await method.apply(fleet, message.args) };
  } catch (err) {
    reply = {
      seq: message.seq,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    };
  }
  process.send?.(reply);
});
process.send?.({ seq: 0, ok: true, value: "ready" } satisfies Reply);
