/** Bots: users made and owned by another user, and their long-lived tokens (hashes only). */
import type { UserRef } from "../src/protocol/index.ts";

/** A bot: a user made and owned by another user. */
export interface BotRecord {
  id: number;
  name: string;
  owner: number;
  createdAt: number;
}

export type BotTokenKind = "api" | "webhook";

/** A bot's long-lived token (only its hash is stored); live unless revokedAt is set. */
export interface BotTokenRecord {
  id: number;
  bot: UserRef;
  /** The user who owns the bot. */
  owner: number;
  kind: BotTokenKind;
  /** The rooms the token may use; a webhook's holds exactly one. */
  rooms: number[];
  createdAt: number;
  revokedAt?: number | undefined;
}

export interface NewBotToken {
  botId: number;
  kind: BotTokenKind;
  tokenHash: string;
  rooms: readonly number[];
  now: number;
}

export interface BotStore {
  /**
   * Creates a bot owned by `ownerId`: a user that accepts DMs from contacts only (it has none)
   * and whose password hash is of a secret nobody keeps. "taken" when the name is in use.
   */
  createBot(
    ownerId: number,
    name: string,
    passwordHash: string,
    now: number,
  ): Promise<BotRecord | "taken">;
  /** The bots a user owns, oldest first. */
  botsOf(ownerId: number): Promise<BotRecord[]>;
  findBot(botId: number): Promise<BotRecord | undefined>;
  /** Stores a token's hash; returns the token's id. */
  createBotToken(token: NewBotToken): Promise<number>;
  /** The live (unrevoked) token with this hash, or undefined. */
  findBotToken(tokenHash: string): Promise<BotTokenRecord | undefined>;
  /** A bot's tokens, live and revoked, oldest first. */
  botTokens(botId: number): Promise<BotTokenRecord[]>;
  /** Revokes a live token of the bot; returns its hash (to end its sockets), or undefined. */
  revokeBotToken(botId: number, tokenId: number, now: number): Promise<string | undefined>;
}
