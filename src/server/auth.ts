/**
 * Accounts and sessions: argon2id passwords, random bearer tokens stored only as SHA-256
 * hashes, and throttles that answer the same way whether or not an account exists.
 */
import { availableParallelism } from "node:os";
import type { Store } from "../../db/store.ts";
import {
  nameKey,
  PASSWORD_MAX,
  PASSWORD_MIN,
  ParleyError,
  USERNAME_PATTERN,
  type UserRef,
} from "../protocol/index.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import { KeyedLimiter } from "./rate-limit.ts";

/**
 * How expensive new password hashes are. "default" is OWASP's minimum for argon2id: 19 MiB,
 * 2 passes, about 40 ms here, off the event loop. "minimal" (64 KiB, 1 pass, well under 1 ms)
 * is for test suites and throwaway demos: it is far weaker against an offline guesser. Verifying
 * reads the cost from the stored hash, so either setting verifies hashes made with the other.
 */
export type PasswordCost = "default" | "minimal";
export const PASSWORD_COSTS: readonly PasswordCost[] = ["default", "minimal"];
const ARGON2 = {
  default: { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 },
  minimal: { algorithm: "argon2id", memoryCost: 64, timeCost: 1 },
} as const;
/**
 * Hashes running at once; each holds 19 MiB and a core. One core is left to the event loop, or
 * a login burst starves chat traffic (the bench measured ping p99 going 6.6 → 35 ms with 4 on 2
 * cores). More wait in a bounded queue, then get BUSY.
 */
const HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1);
const HASH_QUEUE = 256;

export interface Session {
  user: UserRef;
  tokenHash: string;
  expiresAt: number;
  /** Set for a bot's API token: the only rooms it may use (bot-scope.ts). */
  scope?: ReadonlySet<number>;
}

export interface Issued {
  user: UserRef;
  token: string;
  expiresAt: number;
}

/** argon2id at the given cost (the server's default unless told); off the event loop. Also used by db:seed. */
export function hashPassword(password: string, cost: PasswordCost = "default"): Promise<string> {
  return Bun.password.hash(password, ARGON2[cost]);
}

export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

function newToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** Bounds how many argon2 hashes run at once, so a login flood cannot exhaust memory. */
class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= HASH_CONCURRENCY) {
      if (this.waiting.length >= HASH_QUEUE) throw new ParleyError("BUSY");
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export interface AuthOptions {
  store: Store;
  log: Logger;
  now: () => number;
  sessionDays: number;
  loginBurst: number;
  signupBurst: number;
  /** @default "default" */
  passwordCost?: PasswordCost;
  metrics?: Metrics | undefined;
  /** Resolves bot API tokens (`pb_…`, see bots.ts); without it they authenticate nothing. */
  botSession?: ((token: string) => Promise<Session | undefined>) | undefined;
}

export class Auth {
  private readonly gate = new HashGate();
  /** Failed logins per account: 5 at once, then one a minute. */
  private readonly accountFailures = new KeyedLimiter(5, 1 / 60);
  /** Login attempts per address: loginBurst at once, refilled over a minute. */
  private readonly addressLogins: KeyedLimiter;
  /** Registrations per address: signupBurst at once, then one a minute. */
  private readonly addressSignups: KeyedLimiter;
  /** Verified against when the account does not exist, so both cases cost the same time. */
  private readonly decoyHash: Promise<string>;

  constructor(private readonly opts: AuthOptions) {
    this.addressLogins = new KeyedLimiter(opts.loginBurst, opts.loginBurst / 60);
    this.addressSignups = new KeyedLimiter(opts.signupBurst, 1 / 60);
    this.decoyHash = hashPassword(newToken(), opts.passwordCost);
  }

  async register(name: string, password: string, address: string): Promise<Issued> {
    const now = this.opts.now();
    if (!USERNAME_PATTERN.test(name)) throw new ParleyError("INVALID_USERNAME");
    checkPassword(password);
    if (!this.addressSignups.take(address, now)) {
      this.opts.metrics?.rateLimited.inc({ reason: "signup" });
      throw new ParleyError("THROTTLED", "Too many registrations from this address.", {
        retryAfter: this.addressSignups.retryAfter(address, now),
      });
    }
    const hash = await this.gate.run(() => hashPassword(password, this.opts.passwordCost));
    const created = await this.opts.store.createUser(name, hash, this.opts.now());
    if (created === "taken") throw new ParleyError("USERNAME_TAKEN");
    this.opts.log.info("user.registered", { user: created.id, name: created.name });
    this.opts.metrics?.registrations.inc();
    return this.issue({ id: created.id, name: created.name });
  }

  async login(name: string, password: string, address: string): Promise<Issued> {
    const now = this.opts.now();
    const account = nameKey(name);
    // Checked before any lookup: the answer must not depend on whether the account exists.
    if (!this.addressLogins.take(address, now) || !this.accountFailures.has(account, now)) {
      const retryAfter = Math.max(
        this.addressLogins.retryAfter(address, now),
        this.accountFailures.retryAfter(account, now),
      );
      this.opts.log.warn("login.throttled", { address });
      this.opts.metrics?.logins.inc({ result: "throttled" });
      this.opts.metrics?.rateLimited.inc({ reason: "login" });
      throw new ParleyError("THROTTLED", undefined, { retryAfter: Math.max(1, retryAfter) });
    }
    const user =
      typeof password === "string" && password.length <= PASSWORD_MAX
        ? await this.opts.store.findUser(name)
        : undefined;
    const ok = await this.gate.run(async () =>
      user
        ? Bun.password.verify(password, user.passwordHash)
        : Bun.password
            .verify(password.slice(0, PASSWORD_MAX), await this.decoyHash)
            .then(() => false),
    );
    if (!user || !ok) {
      this.accountFailures.take(account, this.opts.now());
      this.opts.log.info("login.failed", { address });
      this.opts.metrics?.logins.inc({ result: "failed" });
      throw new ParleyError("INVALID_CREDENTIALS");
    }
    this.opts.log.info("login.ok", { user: user.id });
    this.opts.metrics?.logins.inc({ result: "ok" });
    return this.issue({ id: user.id, name: user.name });
  }

  private async issue(user: UserRef): Promise<Issued> {
    const token = newToken();
    const now = this.opts.now();
    const expiresAt = now + this.opts.sessionDays * 86_400_000;
    await this.opts.store.createSession(user.id, hashToken(token), now, expiresAt);
    return { user, token, expiresAt };
  }

  /** The session behind a bearer token, or undefined. Never throws for a bad token. */
  async authenticate(token: string | undefined | null): Promise<Session | undefined> {
    if (!token || token.length > 256) return undefined;
    // A session token may start with "pb_" too (it is random base64url): fall through.
    if (token.startsWith("pb_")) {
      const bot = await this.opts.botSession?.(token);
      if (bot) return bot;
    }
    const tokenHash = hashToken(token);
    const found = await this.opts.store.findSession(tokenHash, this.opts.now());
    return found ? { user: found.user, tokenHash, expiresAt: found.expiresAt } : undefined;
  }

  async logout(session: Session): Promise<void> {
    await this.opts.store.deleteSession(session.tokenHash);
    this.opts.log.info("logout", { user: session.user.id });
  }

  /** Forgets idle throttle state and expired sessions; run now and then. */
  async sweep(): Promise<void> {
    const now = this.opts.now();
    this.accountFailures.prune(now);
    this.addressLogins.prune(now);
    this.addressSignups.prune(now);
    await this.opts.store.deleteExpiredSessions(now);
  }
}

function checkPassword(password: unknown): void {
  if (
    typeof password !== "string" ||
    password.length < PASSWORD_MIN ||
    password.length > PASSWORD_MAX
  ) {
    throw new ParleyError("INVALID_PASSWORD");
  }
}
