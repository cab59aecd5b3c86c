/**
 * Accounts and sessions: argon2id passwords, random bearer tokens stored only as SHA-256
 * hashes, and throttles that answer the same way whether or not an account exists.
 */
import { availableParallelism } from "node:os";
import type { Store, UserRecord } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import {
  nameKey,
  PASSWORD_MAX,
  PASSWORD_MIN,
  ParleyError,
  USERNAME_PATTERN,
  type UserRef,
} from "../protocol/index.ts";
import { type LoginOutcome, LoginThrottle } from "./login-throttle.ts";
import type { Metrics } from "./metrics.ts";
import { KeyedLimiter } from "./rate-limit.ts";
import type { Registration } from "./registration.ts";

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
/**
 * Hashes waiting at most; past it BUSY at once. About 2.5 s of work at 40 ms a hash, so a flood
 * answers quickly instead of queueing for many seconds.
 */
const HASH_QUEUE = 64;

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

/**
 * Bounds how many argon2 hashes run at once, so a login flood cannot exhaust memory. Logins
 * from an address that has logged into the account before wait in a lane of their own that
 * goes first, so a flood of strangers does not make the owner wait behind it.
 */
class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly priority: (() => void)[] = [];

  async run<T>(work: () => Promise<T>, first = false): Promise<T> {
    if (this.running >= HASH_CONCURRENCY) {
      const lane = first ? this.priority : this.waiting;
      if (lane.length >= HASH_QUEUE) throw new ParleyError("BUSY", undefined, { retryAfter: 1 });
      await new Promise<void>((resolve) => lane.push(resolve));
    }
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      (this.priority.shift() ?? this.waiting.shift())?.();
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
  /** Who may register (registration.ts); without it registration is open. */
  registration?: Registration | undefined;
}

export class Auth {
  private readonly gate = new HashGate();
  /** Login attempts per address, per (account, address) and per account; see login-throttle.ts. */
  private readonly logins: LoginThrottle;
  /** Registrations per address: signupBurst at once, then one a minute. */
  private readonly addressSignups: KeyedLimiter;
  /** Verified against when the account does not exist, so both cases cost the same time. */
  private readonly decoyHash: Promise<string>;

  constructor(private readonly opts: AuthOptions) {
    this.logins = new LoginThrottle(opts.loginBurst);
    this.addressSignups = new KeyedLimiter(opts.signupBurst, 1 / 60);
    this.decoyHash = hashPassword(newToken(), opts.passwordCost);
  }

  async register(
    name: string,
    password: string,
    address: string,
    agent?: string,
    invite?: string,
  ): Promise<Issued> {
    const now = this.opts.now();
    await this.opts.registration?.admit(invite);
    if (!USERNAME_PATTERN.test(name)) throw new ParleyError("INVALID_USERNAME");
    checkPassword(password);
    if (!this.addressSignups.take(address, now)) {
      this.opts.metrics?.rateLimited.inc({ reason: "signup" });
      throw new ParleyError("THROTTLED", "Too many registrations from this address.", {
        retryAfter: this.addressSignups.retryAfter(address, now),
      });
    }
    const hash = await this.gate.run(() => hashPassword(password, this.opts.passwordCost));
    const created = this.opts.registration
      ? await this.opts.registration.create(name, hash, this.opts.now(), invite)
      : await this.opts.store.createUser(name, hash, this.opts.now());
    if (created === "taken") throw new ParleyError("USERNAME_TAKEN");
    this.opts.log.info("user.registered", { user: created.id, name: created.name });
    this.opts.metrics?.registrations.inc();
    return this.issue({ id: created.id, name: created.name }, agent);
  }

  async login(name: string, password: string, address: string, agent?: string): Promise<Issued> {
    let user: UserRecord;
    try {
      user = await this.verify(name, password, address);
      // Told only to who knows the password: a disabled account is no secret from its owner.
      if ((await this.opts.store.accountFlags(user.id))?.disabled) {
        throw new ParleyError("ACCOUNT_DISABLED");
      }
    } catch (err) {
      if (err instanceof ParleyError && err.code === "THROTTLED") {
        this.opts.metrics?.logins.inc({ result: "throttled" });
        this.opts.metrics?.rateLimited.inc({ reason: "login" });
      } else if (err instanceof ParleyError && err.code === "INVALID_CREDENTIALS") {
        this.opts.metrics?.logins.inc({ result: "failed" });
      }
      throw err;
    }
    this.opts.log.info("login.ok", { user: user.id });
    this.opts.metrics?.logins.inc({ result: "ok" });
    return this.issue({ id: user.id, name: user.name }, agent);
  }

  /**
   * The account, if this is its password: the one check behind login and password change, under
   * the same throttles. Throws THROTTLED, BUSY or INVALID_CREDENTIALS otherwise.
   */
  async verify(name: string, password: string, address: string): Promise<UserRecord> {
    const account = nameKey(name);
    // Reserved before any lookup or hash: the answer must not depend on whether the account
    // exists, and attempts arriving together cannot all pass a check made before any finished.
    const slot = this.logins.reserve(account, address, this.opts.now());
    if (!slot.ok) {
      this.opts.log.warn("login.throttled", { address, by: slot.reason });
      throw new ParleyError("THROTTLED", undefined, { retryAfter: Math.max(1, slot.retryAfter) });
    }
    let outcome: LoginOutcome = "failed";
    try {
      const user =
        typeof password === "string" && password.length <= PASSWORD_MAX
          ? await this.opts.store.findUser(name)
          : undefined;
      const ok = await this.gate.run(
        async () =>
          user
            ? Bun.password.verify(password, user.passwordHash)
            : Bun.password
                .verify(password.slice(0, PASSWORD_MAX), await this.decoyHash)
                .then(() => false),
        slot.known,
      );
      if (!user || !ok) {
        this.opts.log.info("login.failed", { address });
        throw new ParleyError("INVALID_CREDENTIALS");
      }
      outcome = "succeeded";
      return user;
    } catch (err) {
      // A refusal for load (BUSY) checked no password: it is no guess.
      if (err instanceof ParleyError && err.code === "BUSY") outcome = "unchecked";
      throw err;
    } finally {
      this.logins.settle(slot, outcome, this.opts.now());
    }
  }

  /** argon2id of a new password, checked against the rules, under the hash gate. */
  async newPasswordHash(password: string): Promise<string> {
    checkPassword(password);
    return this.gate.run(() => hashPassword(password, this.opts.passwordCost));
  }

  private async issue(user: UserRef, agent?: string): Promise<Issued> {
    const token = newToken();
    const now = this.opts.now();
    const expiresAt = now + this.opts.sessionDays * 86_400_000;
    await this.opts.store.createSession(user.id, hashToken(token), now, expiresAt);
    await this.opts.store.touchSession(hashToken(token), now, agent ?? "");
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
    this.logins.prune(now);
    this.addressSignups.prune(now);
    await this.opts.store.deleteExpiredSessions(now);
  }
}

export function checkPassword(password: unknown): void {
  if (
    typeof password !== "string" ||
    password.length < PASSWORD_MIN ||
    password.length > PASSWORD_MAX
  ) {
    throw new ParleyError("INVALID_PASSWORD");
  }
}
