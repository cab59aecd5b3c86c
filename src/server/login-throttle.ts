/**
 * Login throttling, reserved before the password hash runs (OWASP Authentication cheat sheet):
 * per address, per (account, address), and a growing per-account delay.
 *
 * Invariant: an attempt holds its reservation from `reserve` until `settle`, so however many
 * arrive at once, an account never has more guesses checked than the budget below allows.
 * Addresses that have logged into an account before skip the account-wide delay (but not their
 * own per-pair budget), so a stranger guessing cannot lock the owner out.
 */
import { KeyedLimiter } from "./rate-limit.ts";

/** Guesses per (account, address) at once, then one a minute. */
export const PAIR_BURST = 5;
/** Failed guesses an account takes from anywhere before the growing delay starts. */
export const ACCOUNT_FREE_FAILURES = 10;
/** The delay doubles from 1 s per further failure, up to this. */
export const ACCOUNT_MAX_DELAY_MS = 60_000;
/** An account's failures are forgotten after this long without one. */
const FAILURE_MEMORY_MS = 15 * 60_000;
/** Addresses remembered per account as having logged in (newest kept). */
const KNOWN_PER_ACCOUNT = 8;
const MAX_ACCOUNTS = 100_000;

interface AccountState {
  failures: number;
  inFlight: number;
  /** No attempt from an unknown address before this, once past the free failures. */
  nextAt: number;
  lastFailure: number;
  known: string[];
}

/** "unchecked": refused for load before any password was checked; it is no guess. */
export type LoginOutcome = "succeeded" | "failed" | "unchecked";

export type Reservation =
  | { ok: true; account: string; address: string; known: boolean }
  | { ok: false; retryAfter: number; reason: "address" | "pair" | "account" };

export class LoginThrottle {
  private readonly addresses: KeyedLimiter;
  private readonly pairs = new KeyedLimiter(PAIR_BURST, 1 / 60);
  private readonly accounts = new Map<string, AccountState>();

  /** loginBurst: attempts per address at once, refilled over a minute. */
  constructor(loginBurst: number) {
    this.addresses = new KeyedLimiter(loginBurst, loginBurst / 60);
  }

  /** True when this address has logged into this account before (its hash goes first). */
  isKnown(account: string, address: string): boolean {
    return this.accounts.get(account)?.known.includes(address) ?? false;
  }

  /** Takes one attempt from every budget, or none of them. Call settle() exactly once after. */
  reserve(account: string, address: string, now: number): Reservation {
    const pair = `${account}\u0000${address}`;
    if (!this.addresses.has(address, now)) {
      return { ok: false, reason: "address", retryAfter: this.addresses.retryAfter(address, now) };
    }
    if (!this.pairs.has(pair, now)) {
      return { ok: false, reason: "pair", retryAfter: this.pairs.retryAfter(pair, now) };
    }
    const state = this.state(account, now);
    const known = state.known.includes(address);
    if (!known && state.failures + state.inFlight >= ACCOUNT_FREE_FAILURES) {
      // Past the free failures, one unknown-address attempt at a time, after the delay.
      if (state.inFlight > 0 || now < state.nextAt) {
        return {
          ok: false,
          reason: "account",
          retryAfter: Math.max(1, Math.ceil((state.nextAt - now) / 1000)),
        };
      }
    }
    this.addresses.take(address, now);
    this.pairs.take(pair, now);
    state.inFlight++;
    return { ok: true, account, address, known };
  }

  settle(r: Reservation & { ok: true }, outcome: LoginOutcome, now: number): void {
    const state = this.state(r.account, now);
    state.inFlight = Math.max(0, state.inFlight - 1);
    // Only wrong guesses count against the pair: the owner may log in as often as they like.
    if (outcome !== "failed") this.pairs.give(`${r.account}\u0000${r.address}`);
    if (outcome === "unchecked") return;
    if (outcome === "succeeded") {
      state.failures = 0;
      state.nextAt = 0;
      state.known = [r.address, ...state.known.filter((a) => a !== r.address)].slice(
        0,
        KNOWN_PER_ACCOUNT,
      );
      return;
    }
    state.failures++;
    state.lastFailure = now;
    const over = state.failures - ACCOUNT_FREE_FAILURES;
    if (over >= 0) state.nextAt = now + Math.min(ACCOUNT_MAX_DELAY_MS, 1000 * 2 ** over);
  }

  private state(account: string, now: number): AccountState {
    let state = this.accounts.get(account);
    if (!state) {
      if (this.accounts.size >= MAX_ACCOUNTS) this.evictOne();
      state = { failures: 0, inFlight: 0, nextAt: 0, lastFailure: 0, known: [] };
      this.accounts.set(account, state);
    } else if (state.failures > 0 && now - state.lastFailure > FAILURE_MEMORY_MS) {
      state.failures = 0;
      state.nextAt = 0;
    }
    return state;
  }

  private evictOne(): void {
    for (const [key, s] of this.accounts) {
      if (s.inFlight === 0) {
        this.accounts.delete(key);
        return;
      }
    }
  }

  /** Forgets idle state: full buckets, and accounts with nothing to remember. */
  prune(now: number): void {
    this.addresses.prune(now);
    this.pairs.prune(now);
    for (const [key, s] of this.accounts) {
      const idle = s.inFlight === 0 && now - s.lastFailure > FAILURE_MEMORY_MS;
      if (idle && s.known.length === 0) this.accounts.delete(key);
      else if (idle) s.failures = 0;
    }
  }
}
