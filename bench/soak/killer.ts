/**
 * The chaos in the soak: SIGKILL the server at seeded random moments (exponential gaps, so
 * kills land anywhere in a commit, a resume or a reconnect) and restart it on the same database
 * and port after a short seeded pause. Optionally some events are freezes instead (SIGSTOP, a
 * pause, SIGCONT): a hung server, which clients can only notice by its silence.
 */
import { ChildServer } from "../fuzz/child-server.ts";
import type { Random } from "../fuzz/random.ts";

export interface KillRecord {
  /** Seconds since the soak began. */
  at: number;
  /** Milliseconds from the kill until the new process listened. */
  downMs: number;
}

export interface FreezeRecord {
  at: number;
  frozenMs: number;
}

export class Killer {
  readonly kills: KillRecord[] = [];
  readonly freezes: FreezeRecord[] = [];
  private running = true;
  private loop: Promise<void> | undefined;
  private restarting: Promise<void> | undefined;

  constructor(
    public server: ChildServer,
    private readonly o: {
      db: string;
      args: readonly string[];
      rng: Random;
      /** Mean seconds between kills; 0 disables them. */
      everySeconds: number;
      /** The share of events that freeze the server instead of killing it. @default 0 */
      freezeShare?: number;
      started: number;
    },
  ) {}

  start(): void {
    if (this.o.everySeconds <= 0) return;
    this.loop = (async () => {
      while (this.running) {
        const wait = this.o.rng.exponential(this.o.everySeconds * 1000);
        const until = Date.now() + wait;
        while (this.running && Date.now() < until)
          await Bun.sleep(Math.min(100, until - Date.now()));
        if (!this.running) return;
        this.restarting = this.o.rng.chance(this.o.freezeShare ?? 0)
          ? this.freeze()
          : this.killAndRestart();
        await this.restarting;
      }
    })();
  }

  private async freeze(): Promise<void> {
    const t0 = Date.now();
    const ms = this.o.rng.int(1000, 15_000);
    this.server.proc.kill("SIGSTOP");
    await Bun.sleep(ms);
    this.server.proc.kill("SIGCONT");
    this.freezes.push({ at: (t0 - this.o.started) / 1000, frozenMs: ms });
  }

  private async killAndRestart(): Promise<void> {
    const t0 = Date.now();
    const port = this.server.port;
    await this.server.kill();
    await Bun.sleep(this.o.rng.int(0, 400));
    // The old socket may linger for a moment: retry until the port is ours again.
    for (let attempt = 1; ; attempt++) {
      try {
        this.server = await ChildServer.start({ db: this.o.db, port, args: this.o.args });
        break;
      } catch (err) {
        if (attempt >= 50) throw err;
        await Bun.sleep(100);
      }
    }
    this.kills.push({ at: (t0 - this.o.started) / 1000, downMs: Date.now() - t0 });
  }

  /** No more kills; resolves once the server is up again. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.restarting;
  }
}
