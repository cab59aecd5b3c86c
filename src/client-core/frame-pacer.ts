/**
 * Keeps this client under the frame rate the server announced in `hello.limits`: a token bucket
 * like the server's, a little slower and with half its burst, so that sends, requests, typing
 * and read notices together never trip RATE_LIMITED (which the server counts as strikes). A
 * frame that may not go now waits (sends, requests) or is dropped (typing, read: both are sent
 * again later). Pure state over an injected time.
 */
import type { Limits } from "../protocol/index.ts";

/** The share of the server's rate used: its bucket and ours do not start at the same instant. */
const RATE_SHARE = 0.8;

export class FramePacer {
  private rate = Number.POSITIVE_INFINITY;
  private burst = Number.POSITIVE_INFINITY;
  private tokens = Number.POSITIVE_INFINITY;
  private at = 0;

  /** A new session: the server's bucket is full, ours starts at our (smaller) burst. */
  configure(limits: Pick<Limits, "ratePerSecond" | "rateBurst">, now: number): void {
    this.rate = Math.max(0.1, limits.ratePerSecond * RATE_SHARE);
    this.burst = Math.max(1, Math.floor(limits.rateBurst / 2));
    this.tokens = this.burst;
    this.at = now;
  }

  private refill(now: number): void {
    if (this.tokens === Number.POSITIVE_INFINITY) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }

  /** Takes a token if one is there: true means the frame may go now. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until take() can succeed. */
  wait(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }
}
