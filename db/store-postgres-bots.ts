/** The PostgreSQL store's bots and bot tokens (db/migrations/postgres/005-bots.sql). */
import { nameKey } from "../src/protocol/index.ts";
import type { BotStore } from "./bot-store.ts";
import type { BotRecord, BotTokenKind, BotTokenRecord, NewBotToken } from "./store.ts";
import type { Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

interface BotRow {
  id: Int;
  name: string;
  owner: Int;
  created_at: Int;
}

interface TokenRow {
  id: Int;
  bot_id: Int;
  bot_name: string;
  owner: Int;
  kind: BotTokenKind;
  rooms: string;
  created_at: Int;
  revoked_at: Int | null;
}

function toBot(row: BotRow): BotRecord {
  return {
    id: Number(row.id),
    name: row.name,
    owner: Number(row.owner),
    createdAt: Number(row.created_at),
  };
}

function toToken(row: TokenRow): BotTokenRecord {
  const token: BotTokenRecord = {
    id: Number(row.id),
    bot: { id: Number(row.bot_id), name: row.bot_name },
    owner: Number(row.owner),
    kind: row.kind,
    rooms: JSON.parse(row.rooms) as number[],
    createdAt: Number(row.created_at),
  };
  if (row.revoked_at !== null) token.revokedAt = Number(row.revoked_at);
  return token;
}

export class PostgresBots implements BotStore {
  constructor(private readonly run: Run) {}

  async createBot(ownerId: number, name: string, passwordHash: string, now: number) {
    const [row] = await this.run(
      ({ sql }) => sql`
        INSERT INTO users (name, name_key, password_hash, created_at, bot_owner_id, dm_policy)
        VALUES (${name}, ${nameKey(name)}, ${passwordHash}, ${now}, ${ownerId}, 'contacts')
        ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    );
    return row ? { id: Number(row.id), name, owner: ownerId, createdAt: now } : "taken";
  }

  async botsOf(ownerId: number): Promise<BotRecord[]> {
    const rows: BotRow[] = await this.run(
      ({ sql }) => sql`
        SELECT id, name, bot_owner_id AS owner, created_at FROM users
        WHERE bot_owner_id = ${ownerId} ORDER BY id`,
    );
    return rows.map(toBot);
  }

  async findBot(botId: number): Promise<BotRecord | undefined> {
    const [row]: BotRow[] = await this.run(
      ({ sql }) => sql`
        SELECT id, name, bot_owner_id AS owner, created_at FROM users
        WHERE id = ${botId} AND bot_owner_id IS NOT NULL`,
    );
    return row ? toBot(row) : undefined;
  }

  async createBotToken(t: NewBotToken): Promise<number> {
    const [row] = await this.run(
      ({ sql }) => sql`
        INSERT INTO bot_tokens (bot_id, kind, token_hash, rooms, created_at)
        VALUES (${t.botId}, ${t.kind}, ${t.tokenHash}, ${JSON.stringify([...t.rooms])}, ${t.now})
        RETURNING id`,
    );
    return Number(row.id);
  }

  async findBotToken(tokenHash: string): Promise<BotTokenRecord | undefined> {
    const [row]: TokenRow[] = await this.run(
      ({ sql }) => sql`
        SELECT t.id, t.bot_id, u.name AS bot_name, u.bot_owner_id AS owner, t.kind, t.rooms,
          t.created_at, t.revoked_at
        FROM bot_tokens t JOIN users u ON u.id = t.bot_id
        WHERE t.token_hash = ${tokenHash} AND t.revoked_at IS NULL`,
    );
    return row ? toToken(row) : undefined;
  }

  async botTokens(botId: number): Promise<BotTokenRecord[]> {
    const rows: TokenRow[] = await this.run(
      ({ sql }) => sql`
        SELECT t.id, t.bot_id, u.name AS bot_name, u.bot_owner_id AS owner, t.kind, t.rooms,
          t.created_at, t.revoked_at
        FROM bot_tokens t JOIN users u ON u.id = t.bot_id
        WHERE t.bot_id = ${botId} ORDER BY t.id`,
    );
    return rows.map(toToken);
  }

  async revokeBotToken(botId: number, tokenId: number, now: number) {
    const [row] = await this.run(
      ({ sql }) => sql`
        UPDATE bot_tokens SET revoked_at = ${now}
        WHERE bot_id = ${botId} AND id = ${tokenId} AND revoked_at IS NULL
        RETURNING token_hash`,
    );
    return row ? (row.token_hash as string) : undefined;
  }
}
