/**
 * A real clock whose timers can be held: while held, new timers wait until release(). Lets a
 * test keep a client offline (its reconnect timer parked) while others act, without guessing
 * at timings.
 */
import type { Clock } from "../../src/client-core/clock.ts";

interface Parked {
  fn: () => void;
}

export class GatedClock implements Clock {
  held = false;
  private parked: Parked[] = [];

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    if (!this.held) return setTimeout(fn, ms);
    const p = { fn };
    this.parked.push(p);
    return p;
  }

  clearTimeout(handle: unknown): void {
    const i = this.parked.indexOf(handle as Parked);
    if (i >= 0) this.parked.splice(i, 1);
    else clearTimeout(handle as ReturnType<typeof setTimeout>);
  }

  get parkedCount(): number {
    return this.parked.length;
  }

  /** Runs every parked timer now, and stops holding new ones. */
  release(): void {
    this.held = false;
    for (const p of this.parked.splice(0)) setTimeout(p.fn, 0);
  }
}

/** Polls until `check` is true; throws with `what` after the timeout. */
export async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
