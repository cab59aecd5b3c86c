/**
 * The person's decisions about other accounts' identity keys: the safety number to compare (over
 * both accounts' identity keys, so it survives device changes), marking a key verified once the
 * numbers matched, and accepting a changed key without comparing. Each decision applies only to
 * the key that was shown; one that changed meanwhile is "stale" and must be shown afresh.
 */
import { accountSafetyNumber, type KeyBook } from "../crypto/index.ts";

export type Decision = "updated" | "stale";

export class IdentityTrust {
  /** The identity key shown per user (with the safety number): the one a decision accepts. */
  private readonly shown = new Map<string, string>();

  constructor(
    private readonly book: KeyBook,
    private readonly me: string,
    /** Fetches users' keys again before a safety number is computed. */
    private readonly refresh: (users: string[]) => Promise<void>,
  ) {}

  /** The safety number with `user`, or undefined when either identity key is unknown. */
  async safetyNumber(user: string): Promise<string | undefined> {
    if (user === this.me) return undefined;
    await this.refresh([user, this.me]);
    const theirs = this.book.identity(user);
    const theirKey = theirs?.pending ?? theirs?.key;
    const myKey = this.book.identity(this.me)?.key;
    if (!theirKey || !myKey) return undefined;
    this.shown.set(user, theirKey);
    return accountSafetyNumber(this.me, myKey, user, theirKey);
  }

  /** After the safety numbers matched: the identity key shown with them is verified. */
  async markVerified(user: string): Promise<Decision> {
    const seen = this.shown.get(user);
    if (!seen) return "stale";
    return this.settled(user, await this.book.markVerified(user, seen));
  }

  /** Accepts the key announced as changed (or the one shown) without comparing. */
  async accept(user: string): Promise<Decision> {
    const identity = this.book.identity(user);
    const seen = this.shown.get(user) ?? identity?.pending ?? identity?.key;
    if (!seen) return "stale";
    return this.settled(user, await this.book.acknowledge(user, seen));
  }

  /** What was shown is settled: a later change must be shown (and accepted) afresh. */
  private settled(user: string, result: Decision): Decision {
    if (result === "updated") this.shown.delete(user);
    return result;
  }
}
