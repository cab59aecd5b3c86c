/**
 * The parent's handle on a load process (bench/load.ts): spawns it, and turns IPC messages into
 * awaitable calls on its Fleet. Load runs in its own processes so that the clients' CPU time is
 * spread like a real deployment's would be, and never steals the orchestrator's timers.
 */
import { join } from "node:path";
import type { Fleet } from "./fleet.ts";
import type { Call, Reply } from "./load.ts";

type Method = {
  [K in keyof Fleet]: Fleet[K] extends (...args: infer A) => Promise<infer R> ? [A, R] : never;
};

export class LoadProcess {
  private seq = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly proc: Bun.Subprocess;
  readonly ready: Promise<void>;

  constructor() {
    let started: (reply: Reply) => void = () => {};
    this.ready = new Promise<Reply>((resolve) => (started = resolve)).then(() => undefined);
    this.pending.set(0, started);
    this.proc = Bun.spawn([process.execPath, join(import.meta.dir, "load.ts")], {
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      ipc: (reply: Reply) => {
        const resolve = this.pending.get(reply.seq);
        this.pending.delete(reply.seq);
        resolve?.(reply);
      },
    });
    this.proc.exited.then((code) => {
      for (const resolve of this.pending.values()) {
        resolve({ seq: -1, ok: false, error: `load process exited with ${code}` });
      }
      this.pending.clear();
    });
  }

  async call<M extends keyof Method>(method: M, ...args: Method[M][0]): Promise<Method[M][1]> {
    await this.ready;
    const seq = ++this.seq;
    const reply = await new Promise<Reply>((resolve) => {
      this.pending.set(seq, resolve);
      this.proc.send({ seq, method, args } satisfies Call);
    });
    if (!reply.ok) throw new Error(reply.error);
    return reply.value as Method[M][1];
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGTERM");
    await this.proc.exited;
  }
}

/** Starts `count` load processes and waits until each can take calls. */
export async function startLoad(count: number): Promise<LoadProcess[]> {
  const procs = Array.from({ length: count }, () => new LoadProcess());
  await Promise.all(procs.map((p) => p.ready));
  return procs;
}

/** Splits items into `parts` contiguous slices, so each room's members stay in one process. */
export function split<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / parts);
  for (let i = 0; i < parts; i++) out.push(items.slice(i * size, (i + 1) * size));
  return out;
}
