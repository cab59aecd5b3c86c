/** The SQLite store's bots and bot tokens (db/migrations/sqlite/005-bots.sql). */
import type { Database } from "bun:sqlite";
import { nameKey } from "../src/protocol/index.ts";
import type {
  BotRecord,
  BotStore,
  BotTokenKind,
  BotTokenRecord,
  NewBotToken,
} from "./bot-store.ts";

interface TokenRow {
  id: number;
  botId: number;
  botName: string;
  owner: number;
  kind: BotTokenKind;
  rooms: string;
  createdAt: number;
  revokedAt: number | null;
}

const TOKEN_COLUMNS = `t.id, t.bot_id AS botId, u.name AS botName, u.bot_owner_id AS owner, t.kind,
  t.rooms, t.created_at AS createdAt, t.revoked_at AS revokedAt`;
const BOT_COLUMNS = "id, name, bot_owner_id AS owner, created_at AS createdAt";

function toToken(row: TokenRow): BotTokenRecord {
  const token: BotTokenRecord = {
    id: row.id,
    bot: { id: row.botId, name: row.botName },
    owner: row.owner,
    kind: row.kind,
    rooms: JSON.parse(row.rooms) as number[],
    createdAt: row.createdAt,
  };
  if (row.revokedAt !== null) token.revokedAt = row.revokedAt;
  return token;
}

export class SqliteBots implements BotStore {
  private readonly q;

  constructor(db: Database) {
    this.q = {
      insertBot: db.query<{ id: number }, [string, string, string, number, number]>(
        `INSERT INTO users (name, name_key, password_hash, created_at, bot_owner_id, dm_policy)
         VALUES (?, ?, ?, ?, ?, 'contacts') ON CONFLICT (name_key) DO NOTHING RETURNING id`,
      ),
      botsOf: db.query<BotRecord, [number]>(
        `SELECT ${BOT_COLUMNS} FROM users WHERE bot_owner_id = ? ORDER BY id`,
      ),
      findBot: db.query<BotRecord, [number]>(
        `SELECT ${BOT_COLUMNS} FROM users WHERE id = ? AND bot_owner_id IS NOT NULL`,
      ),
      insertToken: db.query<{ id: number }, [number, string, string, string, number]>(
        `INSERT INTO bot_tokens (bot_id, kind, token_hash, rooms, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING id`,
      ),
      findToken: db.query<TokenRow, [string]>(
        `SELECT ${TOKEN_COLUMNS} FROM bot_tokens t JOIN users u ON u.id = t.bot_id
         WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
      ),
      tokensOf: db.query<TokenRow, [number]>(
        `SELECT ${TOKEN_COLUMNS} FROM bot_tokens t JOIN users u ON u.id = t.bot_id
         WHERE t.bot_id = ? ORDER BY t.id`,
      ),
      revoke: db.query<{ hash: string }, [number, number, number]>(
        `UPDATE bot_tokens SET revoked_at = ? WHERE bot_id = ? AND id = ? AND revoked_at IS NULL
         RETURNING token_hash AS hash`,
      ),
    };
  }

  async createBot(
    ownerId: number,
    name: string,
    passwordHash: string,
    now: number,
  ): Promise<BotRecord | "taken"> {
    const row = this.q.insertBot.get(name, nameKey(name), passwordHash, now, ownerId);
    return row ? { id: row.id, name, owner: ownerId, createdAt: now } : "taken";
  }

  async botsOf(ownerId: number): Promise<BotRecord[]> {
    return this.q.botsOf.all(ownerId);
  }

  async findBot(botId: number): Promise<BotRecord | undefined> {
    return this.q.findBot.get(botId) ?? undefined;
  }

  async createBotToken(t: NewBotToken): Promise<number> {
    const row = this.q.insertToken.get(
      t.botId,
      t.kind,
      t.tokenHash,
      JSON.stringify([...t.rooms]),
      t.now,
    );
    return (row as { id: number }).id;
  }

  async findBotToken(tokenHash: string): Promise<BotTokenRecord | undefined> {
    const row = this.q.findToken.get(tokenHash);
    return row ? toToken(row) : undefined;
  }

  async botTokens(botId: number): Promise<BotTokenRecord[]> {
    return this.q.tokensOf.all(botId).map(toToken);
  }

  async revokeBotToken(botId: number, tokenId: number, now: number): Promise<string | undefined> {
    return this.q.revoke.get(now, botId, tokenId)?.hash;
  }
}
