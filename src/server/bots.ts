/**
 * Bots: users made and owned by a person, with long-lived, revocable tokens.
 *
 * - An API token (`pb_…`) authenticates HTTP and WebSocket requests as the bot, limited to the
 *   rooms it was given (bot-scope.ts enforces that on every request).
 * - A webhook token (`ph_…`) only posts into its one room, through POST /api/hooks/TOKEN.
 *
 * Only the SHA-256 of a token is stored; the token is shown once, when it is made. Giving a
 * bot a room joins the bot to it, and only rooms its owner belongs to can be given.
 *
 * Who may manage a bot: its owner. `mayManage` is the one place that decides, so the admin
 * role (planned with communities) adds itself there.
 */
import type { BotRecord, BotTokenKind, BotTokenRecord, Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import {
  MESSAGE_MAX_CHARS,
  ParleyError,
  USERNAME_PATTERN,
  type UserRef,
} from "../protocol/index.ts";
import { hashPassword, hashToken, type PasswordCost, type Session } from "./auth.ts";
import type { Chat } from "./chat.ts";
import type { Hub } from "./hub.ts";
import type { Metrics } from "./metrics.ts";
import { KeyedLimiter } from "./rate-limit.ts";
import type { SendOutcome, SendPipeline } from "./send-pipeline.ts";

export const API_TOKEN_PREFIX = "pb_";
export const WEBHOOK_TOKEN_PREFIX = "ph_";
/** Most rooms one API token may be given. */
export const BOT_TOKEN_ROOMS_MAX = 100;
/** Most bots per owner, and live tokens per bot: each is a row someone could pile up. */
export const BOTS_PER_OWNER_MAX = 25;
export const TOKENS_PER_BOT_MAX = 50;
/** Revoked tokens keep their rows (the owner's record): bounded too. */
export const TOKEN_ROWS_PER_BOT_MAX = 1000;
/** Webhook posts per token: a burst of 30, then one a second. */
const WEBHOOK_BURST = 30;
const WEBHOOK_RATE = 1;

export interface BotsOptions {
  store: Store;
  chat: Chat;
  sends: SendPipeline;
  hub: Hub;
  log: Logger;
  now: () => number;
  passwordCost?: PasswordCost | undefined;
  metrics?: Metrics | undefined;
  /** Closes the sockets of revoked tokens on every node (revocation.ts); else on this one. */
  endSessions?: ((tokenHashes: readonly string[]) => void) | undefined;
}

export interface IssuedToken {
  id: number;
  kind: BotTokenKind;
  /** Shown once; only its hash is kept. */
  token: string;
  rooms: number[];
}

export interface TokenView {
  id: number;
  kind: BotTokenKind;
  rooms: number[];
  createdAt: number;
  revokedAt?: number;
}

function newToken(prefix: string): string {
  return prefix + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

export function tokenView(t: BotTokenRecord): TokenView {
  const view: TokenView = { id: t.id, kind: t.kind, rooms: t.rooms, createdAt: t.createdAt };
  if (t.revokedAt !== undefined) view.revokedAt = t.revokedAt;
  return view;
}

export class Bots {
  private readonly webhookLimits = new KeyedLimiter(WEBHOOK_BURST, WEBHOOK_RATE);

  constructor(private readonly o: BotsOptions) {}

  /** The admin role, when it exists, is allowed here too. */
  mayManage(user: UserRef, bot: BotRecord): boolean {
    return bot.owner === user.id;
  }

  async create(owner: UserRef, name: string): Promise<BotRecord> {
    if (!USERNAME_PATTERN.test(name)) throw new ParleyError("INVALID_USERNAME");
    if ((await this.o.store.findBot(owner.id)) !== undefined) {
      throw new ParleyError("OUT_OF_SCOPE", "Bots cannot make bots.");
    }
    if ((await this.o.store.botsOf(owner.id)).length >= BOTS_PER_OWNER_MAX) {
      throw new ParleyError("INVALID", `At most ${BOTS_PER_OWNER_MAX} bots per user.`);
    }
    // A password nobody knows: a bot never logs in, it uses its tokens.
    const secret = newToken("");
    const hash = await hashPassword(secret, this.o.passwordCost);
    const bot = await this.o.store.createBot(owner.id, name, hash, this.o.now());
    if (bot === "taken") throw new ParleyError("USERNAME_TAKEN");
    this.o.log.info("bot.created", { bot: bot.id, owner: owner.id });
    return bot;
  }

  list(owner: UserRef): Promise<BotRecord[]> {
    return this.o.store.botsOf(owner.id);
  }

  /** The bot, if this user may manage it; BOT_NOT_FOUND otherwise (whether or not it exists). */
  async managed(user: UserRef, botId: number): Promise<BotRecord> {
    const bot = await this.o.store.findBot(botId);
    if (!bot || !this.mayManage(user, bot)) throw new ParleyError("BOT_NOT_FOUND");
    return bot;
  }

  async tokens(user: UserRef, botId: number): Promise<TokenView[]> {
    await this.managed(user, botId);
    return (await this.o.store.botTokens(botId)).map(tokenView);
  }

  /** An API token for these rooms; the bot joins each. */
  issueApiToken(user: UserRef, botId: number, rooms: readonly number[]): Promise<IssuedToken> {
    if (rooms.length === 0 || rooms.length > BOT_TOKEN_ROOMS_MAX) {
      throw new ParleyError("INVALID", `rooms: give 1 to ${BOT_TOKEN_ROOMS_MAX} room ids.`);
    }
    return this.issue(user, botId, "api", [...new Set(rooms)]);
  }

  /** A webhook token posting into one room; the bot joins it. */
  issueWebhook(user: UserRef, botId: number, room: number): Promise<IssuedToken> {
    return this.issue(user, botId, "webhook", [room]);
  }

  private async issue(
    user: UserRef,
    botId: number,
    kind: BotTokenKind,
    rooms: number[],
  ): Promise<IssuedToken> {
    const bot = await this.managed(user, botId);
    const all = await this.o.store.botTokens(botId);
    const live = all.filter((t) => t.revokedAt === undefined);
    if (live.length >= TOKENS_PER_BOT_MAX || all.length >= TOKEN_ROWS_PER_BOT_MAX) {
      throw new ParleyError(
        "INVALID",
        `At most ${TOKENS_PER_BOT_MAX} live tokens per bot, ${TOKEN_ROWS_PER_BOT_MAX} ever.`,
      );
    }
    // Only public rooms the owner is in, all checked before the bot joins any: a bot never
    // reaches further than its owner, and a refused request changes nothing.
    for (const room of rooms) {
      await this.o.chat.findRoom({ room }, user);
      await this.o.chat.requireMember(user, room);
    }
    for (const room of rooms) await this.o.chat.join(bot, { room });
    const token = newToken(kind === "api" ? API_TOKEN_PREFIX : WEBHOOK_TOKEN_PREFIX);
    const id = await this.o.store.createBotToken({
      botId,
      kind,
      tokenHash: hashToken(token),
      rooms,
      now: this.o.now(),
    });
    this.o.log.info("bot.token_issued", { bot: botId, token: id, kind, rooms: rooms.length });
    return { id, kind, token, rooms };
  }

  /** Revokes a token at once: requests with it fail from now on and its sockets are closed. */
  async revoke(user: UserRef, botId: number, tokenId: number): Promise<void> {
    await this.managed(user, botId);
    const hash = await this.o.store.revokeBotToken(botId, tokenId, this.o.now());
    if (hash === undefined) throw new ParleyError("TOKEN_NOT_FOUND");
    if (this.o.endSessions) this.o.endSessions([hash]);
    else this.o.hub.endSession(botId, hash);
    this.o.log.info("bot.token_revoked", { bot: botId, token: tokenId });
  }

  /** The session an API token stands for, or undefined. Called by Auth for `pb_` tokens. */
  async authenticate(token: string): Promise<Session | undefined> {
    const tokenHash = hashToken(token);
    const found = await this.o.store.findBotToken(tokenHash);
    if (found?.kind !== "api") return undefined;
    return {
      user: found.bot,
      tokenHash,
      expiresAt: Number.MAX_SAFE_INTEGER,
      scope: new Set(found.rooms),
    };
  }

  /**
   * Posts a webhook's message into its room, durably, before answering. `id`, when given, is
   * the message's cid: a retried post with the same id is stored once.
   */
  async post(token: string, text: unknown, id: string | undefined): Promise<SendOutcome> {
    const found = token.startsWith(WEBHOOK_TOKEN_PREFIX)
      ? await this.o.store.findBotToken(hashToken(token))
      : undefined;
    if (found?.kind !== "webhook") {
      throw new ParleyError("UNAUTHENTICATED", "No such webhook, or it was revoked.");
    }
    const now = this.o.now();
    if (!this.webhookLimits.take(String(found.id), now)) {
      this.o.metrics?.rateLimited.inc({ reason: "webhook" });
      throw new ParleyError("RATE_LIMITED", undefined, {
        retryAfter: this.webhookLimits.retryAfter(String(found.id), now),
      });
    }
    if (typeof text !== "string" || text.length > MESSAGE_MAX_CHARS) {
      throw new ParleyError("INVALID_MESSAGE");
    }
    const room = found.rooms[0] as number;
    const cid = id ?? `hook-${crypto.randomUUID()}`;
    const outcome = await new Promise<SendOutcome>((resolve) => {
      this.o.sends.send(found.bot, { room, cid, body: text }, resolve);
    });
    if (!outcome.ok) throw outcome.error;
    return outcome;
  }

  /** Forgets idle webhook rate state; run now and then. */
  sweep(): void {
    this.webhookLimits.prune(this.o.now());
  }
}
