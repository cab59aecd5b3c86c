/** Reconnect delays: exponential, capped, with jitter so a restarted server is not stampeded. */

export interface BackoffOptions {
  /** Delay before the first retry, in ms. @default 500 */
  baseMs?: number;
  /** No delay is longer than this, in ms. @default 15000 */
  capMs?: number;
}

/**
 * The delay before retry number `attempt` (1, 2, …): half of min(cap, base·2^(attempt-1)) fixed,
 * the other half random ("equal jitter"), so delays grow but two clients rarely retry in step.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  { baseMs = 500, capMs = 15_000 }: BackoffOptions = {},
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
