/**
 * A connection's catch-up after each hello: every tracked room is resumed (retried on the same
 * socket while the server cannot serve it), and the session counts as open only once the
 * resume is answered and every gap is filled. Messages delivered meanwhile are counted, so
 * "back online" can say how many were missed. Callers of Connection.ready() wait here.
 */
import type { ServerFrameOf } from "../protocol/index.ts";
import type { Clock } from "./clock.ts";
import type { RequestError } from "./request-error.ts";
import type { Refused } from "./room-joiner.ts";

/** What the catch-up needs from its connection. */
export interface CatchUpHooks {
  clock: Clock;
  /** The current socket, to tell whether a retry is still for the socket it was planned on. */
  socket(): unknown;
  resumePoints(): { room: number; after: number }[];
  resume(rooms: { room: number; after: number }[]): Promise<ServerFrameOf<"resumed">>;
  settleResumed(resumed: ServerFrameOf<"resumed">): Refused[];
  /** True while a gap is being filled from history. */
  filling(): boolean;
  notice(text: string): void;
  /** Resumed and every gap filled: `count` messages were delivered meanwhile. */
  caughtUp(count: number): void;
}

export class CatchUp {
  private state: { count: number; resumed: boolean } | undefined;
  /** Callers of Connection.ready(), waiting for the session to be open. */
  private waiters: { resolve: () => void; reject: (e: RequestError) => void }[] = [];

  constructor(private readonly hooks: CatchUpHooks) {}

  /** True between a hello and the end of its catch-up. */
  get active(): boolean {
    return this.state !== undefined;
  }

  /** A hello: catching up starts (resume() sends the resume). */
  begin(): void {
    this.state = { count: 0, resumed: false };
  }

  /** The socket is gone: the next hello starts again. */
  end(): void {
    this.state = undefined;
  }

  /** Resolves when a catch-up ends (the session is open); rejects with fail(). */
  waitOpen(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The connection stopped for good: whoever waits for it to open hears why. */
  fail(err: RequestError): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /** A message delivered while catching up. */
  counted(): void {
    if (this.state) this.state.count++;
  }

  /**
   * Resumes every tracked room. A resume the server could not serve (UNAVAILABLE, BUSY, or any
   * other error on a socket still up) is retried on the same socket after `retryAfter` seconds,
   * or a backoff doubling from 1 s to 30 s: the rooms stay caught up with nothing lost.
   */
  resume(attempt = 0): void {
    const { hooks } = this;
    const socket = hooks.socket();
    hooks.resume(hooks.resumePoints()).then(
      (resumed) => {
        for (const { room, code } of hooks.settleResumed(resumed)) {
          hooks.notice(`You are no longer in #${room.name} (${code}).`);
        }
        if (this.state) this.state.resumed = true;
        this.check();
      },
      (err: RequestError) => {
        // Dropped before the answer: the next hello resumes again.
        if (err.code === "OFFLINE" || err.code === "STOPPED") return;
        const delayMs = (err.retryAfter ?? Math.min(30, 2 ** attempt)) * 1000;
        hooks.clock.setTimeout(() => {
          if (hooks.socket() === socket && this.state && !this.state.resumed) {
            this.resume(attempt + 1);
          }
        }, delayMs);
      },
    );
  }

  /** Done once resumed and every gap is filled: then the connection is told, once. */
  check(): void {
    const c = this.state;
    if (!c?.resumed) return;
    if (this.hooks.filling()) return;
    this.state = undefined;
    this.hooks.caughtUp(c.count);
    for (const w of this.waiters.splice(0)) w.resolve();
  }
}
