/**
 * The shared store for many nodes: PostgreSQL through Bun's built-in client (`Bun.SQL`).
 *
 * Durability promise: append resolves after PostgreSQL answered COMMIT, so an acked message is
 * as durable as the server's WAL settings make it (synchronous_commit = on by default).
 * Seqs are assigned in the database under the room's row lock, so writers on different nodes
 * get gapless, unique seqs per room. When PostgreSQL is unreachable every method rejects; the
 * pool opens new connections on the next call, so the store recovers without a restart.
 */
import { SQL } from "bun";
import type { Message } from "../src/protocol/index.ts";
import { nameKey } from "../src/protocol/index.ts";
import type { Migration } from "./migrations.ts";
import { postgresMigrations } from "./migrations-postgres.ts";
import type {
  AppendRequest,
  AppendResult,
  RoomRecord,
  SessionRecord,
  Store,
  UserRecord,
} from "./store.ts";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections in this node's pool. @default 10 */
  max?: number;
  /** Seconds a call waits for a connection before it rejects. @default 5 */
  connectionTimeout?: number;
  /** Runtime parameters sent on connect, e.g. `{ search_path: "parley" }`. @default {} */
  connection?: Record<string, string>;
  /** Migrations to apply at open; tests pass their own. @default postgresMigrations */
  migrations?: readonly Migration[];
}

/** Any fixed number: every node takes the same lock, so only one migrates at a time. */
const MIGRATION_LOCK = 0x7061726c; // "parl"
/** A transaction that lost a race (a deadlock, or the same cid committed meanwhile) is rerun. */
const APPEND_ATTEMPTS = 5;
/** SQLSTATEs after which the whole append transaction is safe to run again. */
const RETRYABLE = new Set(["40P01", "40001"]);

// int8 columns arrive as strings (Bun's default); every mapper below turns them into numbers.
type Int = string | number;

interface MessageRow {
  room: Int;
  seq: Int;
  ts: Int;
  sender: Int;
  name: string;
  cid: string;
  body: string;
}

interface RoomRow {
  id: Int;
  name: string;
  topic: string;
  created_at: Int;
  head: Int;
  members: Int;
}

function toMessage(row: MessageRow): Message {
  return {
    room: Number(row.room),
    seq: Number(row.seq),
    ts: Number(row.ts),
    from: { id: Number(row.sender), name: row.name },
    cid: row.cid,
    body: row.body,
  };
}

function toRoom(row: RoomRow): RoomRecord {
  return {
    id: Number(row.id),
    name: row.name,
    topic: row.topic,
    createdAt: Number(row.created_at),
    head: Number(row.head),
    members: Number(row.members),
  };
}

/** The identity of a message for idempotency; sender ids hold no ":" so the key is unambiguous. */
function clientKey(senderId: number, cid: string): string {
  return `${senderId}:${cid}`;
}

function sqlState(err: unknown): string | undefined {
  return err instanceof SQL.PostgresError ? err.errno : undefined;
}

/**
 * Applies every migration newer than the database's version, all in one transaction under a
 * transaction-scoped advisory lock: nodes that start together wait for the first one, then
 * find nothing left to do. A migration that fails rolls back completely.
 */
export async function migratePostgres(
  sql: SQL,
  migrations: readonly Migration[] = postgresMigrations,
): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS parley_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at bigint NOT NULL
    )`;
    const [row] = await tx`SELECT coalesce(max(version), 0)::int AS version FROM parley_migrations`;
    let version: number = row.version;
    for (const m of migrations) {
      if (m.version <= version) continue;
      // Migration files are ours and carry no parameters; unsafe runs their several statements.
      await tx.unsafe(m.sql);
      await tx`INSERT INTO parley_migrations (version, name, applied_at)
               VALUES (${m.version}, ${m.name}, ${Date.now()})`;
      version = m.version;
    }
    return version;
  });
}

export class PostgresStore implements Store {
  readonly sql: SQL;
  private readonly messageColumns;
  private readonly roomColumns;

  /** Connects, migrates and returns a ready store; rejects when PostgreSQL cannot be reached. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await migratePostgres(store.sql, options.migrations);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  private constructor({ url, max = 10, connectionTimeout = 5, connection }: PostgresStoreOptions) {
    // PGDATABASE in the environment would otherwise win over the database named in the URL.
    const database = decodeURIComponent(new URL(url).pathname.slice(1));
    this.sql = new SQL({
      url,
      max,
      connectionTimeout,
      ...(database ? { database } : {}),
      ...(connection ? { connection } : {}),
    });
    this.messageColumns = this.sql.unsafe(
      `m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name, m.client_id AS cid, m.body`,
    );
    this.roomColumns = this.sql.unsafe(
      `r.id, r.name, r.topic, r.created_at, r.last_seq AS head,
       (SELECT count(*) FROM members WHERE room_id = r.id) AS members`,
    );
  }

  async createUser(name: string, passwordHash: string, now: number) {
    const [row] = await this.sql`
      INSERT INTO users (name, name_key, password_hash, created_at)
      VALUES (${name}, ${nameKey(name)}, ${passwordHash}, ${now})
      ON CONFLICT (name_key) DO NOTHING RETURNING id`;
    return row ? { id: Number(row.id), name, passwordHash } : "taken";
  }

  async findUser(name: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql`
      SELECT id, name, password_hash FROM users WHERE name_key = ${nameKey(name)}`;
    return row
      ? { id: Number(row.id), name: row.name, passwordHash: row.password_hash }
      : undefined;
  }

  async createSession(userId: number, tokenHash: string, now: number, expiresAt: number) {
    await this.sql`
      INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
      VALUES (${tokenHash}, ${userId}, ${now}, ${expiresAt})`;
  }

  async findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    const [row] = await this.sql`
      SELECT u.id, u.name, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = ${tokenHash} AND s.expires_at > ${now}`;
    return row
      ? { user: { id: Number(row.id), name: row.name }, expiresAt: Number(row.expires_at) }
      : undefined;
  }

  async deleteSession(tokenHash: string) {
    const res = await this.sql`DELETE FROM sessions WHERE token_hash = ${tokenHash}`;
    return res.count > 0;
  }

  async deleteExpiredSessions(now: number) {
    const res = await this.sql`DELETE FROM sessions WHERE expires_at <= ${now}`;
    return res.count as number;
  }

  async createRoom(name: string, topic: string, creatorId: number, now: number) {
    const id = await this.sql.begin(async (tx) => {
      const [row] = await tx`
        INSERT INTO rooms (name, name_key, topic, created_by, created_at)
        VALUES (${name}, ${nameKey(name)}, ${topic}, ${creatorId}, ${now})
        ON CONFLICT (name_key) DO NOTHING RETURNING id`;
      if (!row) return undefined;
      await tx`INSERT INTO members (room_id, user_id, joined_at) VALUES (${row.id}, ${creatorId}, ${now})`;
      return Number(row.id);
    });
    if (id === undefined) return "taken";
    return (await this.findRoom(id)) as RoomRecord;
  }

  async findRoom(id: number) {
    const [row] = await this.sql`SELECT ${this.roomColumns} FROM rooms r WHERE r.id = ${id}`;
    return row ? toRoom(row) : undefined;
  }

  async findRoomByName(name: string) {
    const [row] = await this.sql`
      SELECT ${this.roomColumns} FROM rooms r WHERE r.name_key = ${nameKey(name)}`;
    return row ? toRoom(row) : undefined;
  }

  async listRooms() {
    // COLLATE "C" sorts by code point, as SQLite's default BINARY collation does.
    const rows = await this.sql`
      SELECT ${this.roomColumns} FROM rooms r ORDER BY r.name_key COLLATE "C"`;
    return (rows as RoomRow[]).map(toRoom);
  }

  async addMember(roomId: number, userId: number, now: number) {
    const res = await this.sql`
      INSERT INTO members (room_id, user_id, joined_at) VALUES (${roomId}, ${userId}, ${now})
      ON CONFLICT DO NOTHING`;
    return res.count > 0;
  }

  async removeMember(roomId: number, userId: number) {
    const res = await this.sql`
      DELETE FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`;
    return res.count > 0;
  }

  async isMember(roomId: number, userId: number) {
    const rows = await this.sql`
      SELECT 1 FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`;
    return rows.length > 0;
  }

  async roomsOf(userId: number) {
    const rows = await this.sql`SELECT room_id FROM members WHERE user_id = ${userId}`;
    return (rows as { room_id: Int }[]).map((r) => Number(r.room_id));
  }

  async membersOf(roomId: number) {
    const rows = await this.sql`
      SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
      WHERE m.room_id = ${roomId} ORDER BY u.name_key COLLATE "C"`;
    return (rows as { id: Int; name: string }[]).map((r) => ({ id: Number(r.id), name: r.name }));
  }

  async append(batch: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sql.begin((tx) => this.appendIn(tx, batch));
      } catch (err) {
        // Connection errors are not retried here: if COMMIT was sent, its outcome is unknown,
        // and a rerun would report the stored messages as duplicates that nobody published.
        // The caller refuses the batch, and the clients' retries with the same cids are safe.
        if (attempt < APPEND_ATTEMPTS && isLostRace(err)) continue;
        throw err;
      }
    }
  }

  private async appendIn(tx: SQL, batch: readonly AppendRequest[]): Promise<AppendResult[]> {
    const roomIds = [...new Set(batch.map((r) => r.room))].sort((a, b) => a - b);
    // Lock every room of the batch in id order, in one statement: two batches that share rooms
    // queue on the first shared one instead of deadlocking. NO KEY UPDATE leaves members and
    // messages free to reference the row meanwhile.
    const locked = await tx`
      SELECT id, last_seq FROM rooms WHERE id = ANY(${roomIds}::bigint[])
      ORDER BY id FOR NO KEY UPDATE`;
    const head = new Map<number, number>(
      (locked as { id: Int; last_seq: Int }[]).map((r) => [Number(r.id), Number(r.last_seq)]),
    );

    // Two "= ANY" conditions rather than a join on unnest(): the prepared statement's generic
    // plan then always walks the index, where the join drifted to scanning all messages. The
    // cross matches this admits (one sender's cid under another sender) are dropped by key.
    const senders = [...new Set(batch.map((r) => r.sender.id))];
    const stored = await tx`
      SELECT ${this.messageColumns} FROM messages m JOIN users u ON u.id = m.sender_id
      WHERE m.sender_id = ANY(${senders}::bigint[])
        AND m.client_id = ANY(${batch.map((r) => r.cid)}::text[])`;
    const known = new Map<string, Message>();
    for (const row of stored as MessageRow[]) {
      const m = toMessage(row);
      known.set(clientKey(m.from.id, m.cid), m);
    }

    const memberRows = await tx`
      SELECT room_id, user_id FROM members
      WHERE room_id = ANY(${roomIds}::bigint[]) AND user_id = ANY(${senders}::bigint[])`;
    const members = new Set(
      (memberRows as { room_id: Int; user_id: Int }[]).map((r) => `${r.room_id}:${r.user_id}`),
    );

    const results: AppendResult[] = [];
    const fresh: Message[] = [];
    for (const req of batch) {
      const key = clientKey(req.sender.id, req.cid);
      const original = known.get(key);
      if (original) {
        results.push({ ok: true, message: original, duplicate: true });
        continue;
      }
      const last = head.get(req.room);
      if (!members.has(`${req.room}:${req.sender.id}`) || last === undefined) {
        results.push({ ok: false, code: last === undefined ? "ROOM_NOT_FOUND" : "NOT_MEMBER" });
        continue;
      }
      const message: Message = {
        room: req.room,
        seq: last + 1,
        ts: req.ts,
        from: req.sender,
        cid: req.cid,
        body: req.body,
      };
      head.set(req.room, message.seq);
      known.set(key, message);
      fresh.push(message);
      results.push({ ok: true, message, duplicate: false });
    }
    if (fresh.length === 0) return results;

    await tx`
      INSERT INTO messages (room_id, seq, sender_id, client_id, body, ts)
      SELECT * FROM unnest(
        ${fresh.map((m) => m.room)}::bigint[], ${fresh.map((m) => m.seq)}::bigint[],
        ${fresh.map((m) => m.from.id)}::bigint[], ${fresh.map((m) => m.cid)}::text[],
        ${fresh.map((m) => m.body)}::text[], ${fresh.map((m) => m.ts)}::bigint[])`;
    const bumped = roomIds.filter((id) => fresh.some((m) => m.room === id));
    await tx`
      UPDATE rooms SET last_seq = v.seq
      FROM unnest(${bumped}::bigint[], ${bumped.map((id) => head.get(id) as number)}::bigint[])
        AS v(id, seq)
      WHERE rooms.id = v.id`;
    return results;
  }

  async messagesAfter(roomId: number, after: number, limit: number) {
    const rows = await this.sql`
      SELECT ${this.messageColumns} FROM messages m JOIN users u ON u.id = m.sender_id
      WHERE m.room_id = ${roomId} AND m.seq > ${after} ORDER BY m.seq LIMIT ${limit}`;
    return (rows as MessageRow[]).map(toMessage);
  }

  async messagesBefore(roomId: number, before: number, limit: number) {
    const rows = await this.sql`
      SELECT ${this.messageColumns} FROM messages m JOIN users u ON u.id = m.sender_id
      WHERE m.room_id = ${roomId} AND m.seq < ${before} ORDER BY m.seq DESC LIMIT ${limit}`;
    return (rows as MessageRow[]).map(toMessage).reverse();
  }

  async close() {
    await this.sql.close({ timeout: 5 });
  }
}

/**
 * A deadlock, a serialization failure, or the same (sender, cid) committed by another node
 * between our check and our insert: the rerun sees the other transaction's rows.
 */
function isLostRace(err: unknown): boolean {
  const state = sqlState(err);
  if (state === undefined) return false;
  if (RETRYABLE.has(state)) return true;
  return state === "23505" && (err as { constraint?: string }).constraint === "messages_client_id";
}
