/**
 * The shared store for many nodes: PostgreSQL through Bun's built-in client (`Bun.SQL`).
 *
 * Durability promise: append resolves after PostgreSQL answered COMMIT, so an acked message is
 * as durable as the server's WAL settings make it (synchronous_commit = on by default).
 * Seqs are assigned in the database under the room's row lock, so writers on different nodes
 * get gapless, unique seqs per room. When PostgreSQL is unreachable every method rejects; the
 * pool opens new connections on the next call, so the store recovers without a restart.
 *
 * No call waits forever: Bun.SQL has no per-query timeout, and a query sent on a TCP link that
 * died silently gets no answer and no error. Each call therefore has a deadline (`timeout`);
 * past it the call rejects and the whole pool is replaced, since a dead link rarely kills one
 * connection alone. The server gets a shorter statement_timeout, so a slow but live statement
 * fails with PostgreSQL's own error first and only a silent link reaches the deadline, and an
 * idle_in_transaction_session_timeout, so a node that vanished mid-transaction stops holding
 * room locks that every other node waits on.
 */
import { SQL } from "bun";
import type { DmPolicy, Message, RoomKind, UserRef } from "../src/protocol/index.ts";
import { nameKey } from "../src/protocol/index.ts";
import type { Migration } from "./migrations.ts";
import { postgresMigrations } from "./migrations-postgres.ts";
import {
  type AppendRequest,
  type AppendResult,
  type DmRecord,
  type FileRecord,
  type MembershipRecord,
  type RoomRecord,
  type SessionRecord,
  type Store,
  UNREAD_COUNT_MAX,
  type UserRecord,
} from "./store.ts";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections in this node's pool. @default 10 */
  max?: number;
  /** Seconds a call waits for a connection before it rejects. @default 5 */
  connectionTimeout?: number;
  /**
   * Seconds a call waits for its answer (its whole transaction, retries included) before it
   * rejects and the pool is replaced. PostgreSQL's statement_timeout is set to half of it.
   * @default 10
   */
  timeout?: number;
  /** Seconds an unused pooled connection stays open, so a link that died idle is not reused. @default 30 */
  idleTimeout?: number;
  /** Runtime parameters sent on connect, e.g. `{ search_path: "parley" }`. @default {} */
  connection?: Record<string, string>;
  /** Migrations to apply at open; tests pass their own. @default postgresMigrations */
  migrations?: readonly Migration[];
}

/** Thrown when PostgreSQL gave no answer within the store's `timeout`. */
export class PostgresTimeoutError extends Error {
  readonly code = "ERR_PARLEY_POSTGRES_TIMEOUT";
  constructor(seconds: number) {
    super(`PostgreSQL gave no answer within ${seconds} s`);
    this.name = "PostgresTimeoutError";
  }
}

/** Any fixed number: every node takes the same lock, so only one migrates at a time. */
const MIGRATION_LOCK = 0x7061726c; // "parl"
/** Migrating a large table, or waiting for another node to, may take long; but not forever. */
const MIGRATION_TIMEOUT_S = 300;
/** Seconds a replaced pool's other queries get to finish before its connections are closed. */
const RETIRE_GRACE_S = 1;
/** A transaction that lost a race (a deadlock, or the same cid committed meanwhile) is rerun. */
const APPEND_ATTEMPTS = 5;
/** SQLSTATEs after which the whole append transaction is safe to run again. */
const RETRYABLE = new Set(["40P01", "40001"]);

const ROOM_COLUMNS = `r.id, r.kind, r.name, r.topic, r.created_at, r.last_seq AS head,
  (SELECT count(*) FROM members WHERE room_id = r.id) AS members`;
const MESSAGE_COLUMNS =
  "m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name, m.client_id AS cid, m.body, m.sealed, m.file";

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
  sealed: boolean;
  file: string | null;
}

interface RoomRow {
  id: Int;
  kind: RoomKind;
  name: string;
  topic: string;
  created_at: Int;
  head: Int;
  members: Int;
}

type Fragment = ReturnType<SQL["unsafe"]>;

/** One connection pool with the column lists bound to it; replaced whole after a deadline. */
interface Pool {
  sql: SQL;
  rooms: Fragment;
  messages: Fragment;
}

function toMessage(row: MessageRow): Message {
  const m: Message = {
    room: Number(row.room),
    seq: Number(row.seq),
    ts: Number(row.ts),
    from: { id: Number(row.sender), name: row.name },
    cid: row.cid,
    body: row.sealed ? "" : row.body,
  };
  if (row.sealed) m.envelope = JSON.parse(row.body);
  if (row.file !== null) m.file = JSON.parse(row.file);
  return m;
}

function toRoom(row: RoomRow): RoomRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    name: row.name,
    topic: row.topic,
    createdAt: Number(row.created_at),
    head: Number(row.head),
    members: Number(row.members),
  };
}

function toUsers(rows: unknown): UserRef[] {
  return (rows as { id: Int; name: string }[]).map((r) => ({ id: Number(r.id), name: r.name }));
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
    // The store's statement_timeout is for chat traffic; a migration (or the wait for another
    // node's) may legitimately run longer.
    await tx`SET LOCAL statement_timeout = 0`;
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
  private pool: Pool;
  private readonly connect: () => Pool;
  private readonly timeout: number;
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;

  /** Connects, migrates and returns a ready store; rejects when PostgreSQL cannot be reached. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.run(({ sql }) => migratePostgres(sql, options.migrations), MIGRATION_TIMEOUT_S);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  private constructor({
    url,
    max = 10,
    connectionTimeout = 5,
    timeout = 10,
    idleTimeout = 30,
    connection = {},
  }: PostgresStoreOptions) {
    // PGDATABASE in the environment would otherwise win over the database named in the URL.
    const database = decodeURIComponent(new URL(url).pathname.slice(1));
    const params = {
      statement_timeout: String(Math.ceil((timeout * 1000) / 2)),
      idle_in_transaction_session_timeout: String(timeout * 1000),
      ...connection,
    };
    this.timeout = timeout;
    this.connect = () => {
      const sql = new SQL({
        url,
        max,
        connectionTimeout,
        idleTimeout,
        connection: params,
        ...(database ? { database } : {}),
      });
      return { sql, rooms: sql.unsafe(ROOM_COLUMNS), messages: sql.unsafe(MESSAGE_COLUMNS) };
    };
    this.pool = this.connect();
  }

  /** The current pool, for tests and tools; it changes after a deadline. */
  get sql(): SQL {
    return this.pool.sql;
  }

  /** Runs `work` on the current pool, rejecting with PostgresTimeoutError past the deadline. */
  private run<T>(work: (pool: Pool) => Promise<T>, seconds = this.timeout): Promise<T> {
    const pool = this.pool;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.retire(pool);
        reject(new PostgresTimeoutError(seconds));
      }, seconds * 1000);
    });
    return Promise.race([work(pool), deadline]).finally(() => clearTimeout(timer));
  }

  /** Swaps in a fresh pool; the stale one's connections close after a short grace. */
  private retire(stale: Pool) {
    if (this.closed || this.pool !== stale) return;
    this.pool = this.connect();
    const closing = stale.sql
      .close({ timeout: RETIRE_GRACE_S })
      .catch(() => {})
      .finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
  }

  async createUser(name: string, passwordHash: string, now: number) {
    const [row] = await this.run(
      ({ sql }) => sql`
        INSERT INTO users (name, name_key, password_hash, created_at)
        VALUES (${name}, ${nameKey(name)}, ${passwordHash}, ${now})
        ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    );
    return row ? { id: Number(row.id), name, passwordHash } : "taken";
  }

  async findUser(name: string): Promise<UserRecord | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT id, name, password_hash FROM users WHERE name_key = ${nameKey(name)}`,
    );
    return row
      ? { id: Number(row.id), name: row.name, passwordHash: row.password_hash }
      : undefined;
  }

  async findUserById(id: number): Promise<UserRef | undefined> {
    const rows = await this.run(({ sql }) => sql`SELECT id, name FROM users WHERE id = ${id}`);
    return toUsers(rows)[0];
  }

  async createSession(userId: number, tokenHash: string, now: number, expiresAt: number) {
    await this.run(
      ({ sql }) => sql`
        INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
        VALUES (${tokenHash}, ${userId}, ${now}, ${expiresAt})`,
    );
  }

  async findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ${tokenHash} AND s.expires_at > ${now}`,
    );
    return row
      ? { user: { id: Number(row.id), name: row.name }, expiresAt: Number(row.expires_at) }
      : undefined;
  }

  async deleteSession(tokenHash: string) {
    const res = await this.run(
      ({ sql }) => sql`DELETE FROM sessions WHERE token_hash = ${tokenHash}`,
    );
    return res.count > 0;
  }

  async deleteExpiredSessions(now: number) {
    const res = await this.run(({ sql }) => sql`DELETE FROM sessions WHERE expires_at <= ${now}`);
    return res.count as number;
  }

  async createRoom(name: string, topic: string, creatorId: number, now: number) {
    const id = await this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const [row] = await tx`
          INSERT INTO rooms (name, name_key, topic, created_by, created_at)
          VALUES (${name}, ${nameKey(name)}, ${topic}, ${creatorId}, ${now})
          ON CONFLICT (name_key) DO NOTHING RETURNING id`;
        if (!row) return undefined;
        await tx`INSERT INTO members (room_id, user_id, joined_at) VALUES (${row.id}, ${creatorId}, ${now})`;
        return Number(row.id);
      }),
    );
    if (id === undefined) return "taken";
    return (await this.findRoom(id)) as RoomRecord;
  }

  async findRoom(id: number) {
    const [row] = await this.run(
      ({ sql, rooms }) => sql`SELECT ${rooms} FROM rooms r WHERE r.id = ${id}`,
    );
    return row ? toRoom(row) : undefined;
  }

  async findRoomByName(name: string) {
    const [row] = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms} FROM rooms r WHERE r.name_key = ${nameKey(name)} AND r.kind = 'room'`,
    );
    return row ? toRoom(row) : undefined;
  }

  async listRooms() {
    // COLLATE "C" sorts by code point, as SQLite's default BINARY collation does.
    const rows = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms} FROM rooms r WHERE r.kind = 'room' ORDER BY r.name_key COLLATE "C"`,
    );
    return (rows as RoomRow[]).map(toRoom);
  }

  async addMember(roomId: number, userId: number, now: number) {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO members (room_id, user_id, joined_at) VALUES (${roomId}, ${userId}, ${now})
        ON CONFLICT DO NOTHING`,
    );
    return res.count > 0;
  }

  async removeMember(roomId: number, userId: number) {
    const res = await this.run(
      ({ sql }) => sql`DELETE FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`,
    );
    return res.count > 0;
  }

  async isMember(roomId: number, userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`SELECT 1 FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`,
    );
    return rows.length > 0;
  }

  async roomsOf(userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`SELECT room_id FROM members WHERE user_id = ${userId}`,
    );
    return (rows as { room_id: Int }[]).map((r) => Number(r.room_id));
  }

  async memberships(userId: number): Promise<MembershipRecord[]> {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT m.room_id, m.last_read,
          (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
             AND x.seq > m.last_read AND x.sender_id <> m.user_id LIMIT ${UNREAD_COUNT_MAX}) c)
            AS unread
        FROM members m WHERE m.user_id = ${userId} ORDER BY m.room_id`,
    );
    return (rows as { room_id: Int; last_read: Int; unread: Int }[]).map((r) => ({
      room: Number(r.room_id),
      lastRead: Number(r.last_read),
      unread: Number(r.unread),
    }));
  }

  async markRead(roomId: number, userId: number, seq: number) {
    // One statement: under READ COMMITTED a concurrent raise is re-read before GREATEST applies,
    // so the marker never goes down, and LEAST keeps it at or below the room's head.
    await this.run(
      ({ sql }) => sql`
        UPDATE members SET last_read = GREATEST(last_read,
          LEAST(${seq}::bigint, (SELECT last_seq FROM rooms WHERE id = members.room_id)))
        WHERE room_id = ${roomId} AND user_id = ${userId}`,
    );
  }

  async membersOf(roomId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
        WHERE m.room_id = ${roomId} ORDER BY u.name_key COLLATE "C"`,
    );
    return toUsers(rows);
  }

  async openDm(userId: number, peerId: number, now: number) {
    const [a, b] = userId < peerId ? [userId, peerId] : [peerId, userId];
    const name = `dm:${a}:${b}`;
    const opened = await this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const findDm = async () => {
          const [row] = await tx`SELECT room_id FROM dms WHERE user_a = ${a} AND user_b = ${b}`;
          return row ? { room: Number(row.room_id), created: false } : undefined;
        };
        const found = await findDm();
        if (found) return found;
        // The name is unique per pair: a node opening the same pair at once waits here until
        // the other commits, inserts nothing, and then finds the other's DM.
        const [row] = await tx`
          INSERT INTO rooms (kind, name, name_key, topic, created_by, created_at)
          VALUES ('dm', ${name}, ${name}, '', ${userId}, ${now})
          ON CONFLICT (name_key) DO NOTHING RETURNING id`;
        if (!row) {
          const raced = await findDm();
          if (raced) return raced;
          throw new Error(`the DM room name ${name} is held by a room that is not their DM`);
        }
        await tx`INSERT INTO dms (user_a, user_b, room_id) VALUES (${a}, ${b}, ${row.id})`;
        await tx`
          INSERT INTO members (room_id, user_id, joined_at)
          VALUES (${row.id}, ${a}, ${now}), (${row.id}, ${b}, ${now})`;
        return { room: Number(row.id), created: true };
      }),
    );
    const record = (await this.findRoom(opened.room)) as RoomRecord;
    const peer = (await this.findUserById(peerId)) as UserRef;
    return { ...record, peer, created: opened.created };
  }

  async dmUsers(roomId: number): Promise<[number, number] | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT user_a, user_b FROM dms WHERE room_id = ${roomId}`,
    );
    return row ? [Number(row.user_a), Number(row.user_b)] : undefined;
  }

  async listDms(userId: number): Promise<DmRecord[]> {
    // r.id breaks ties in activity, which SQLite leaves in scan order.
    const rows = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms}, p.id AS peer_id, p.name AS peer_name FROM dms d
        JOIN rooms r ON r.id = d.room_id
        JOIN users p ON p.id = CASE WHEN d.user_a = ${userId} THEN d.user_b ELSE d.user_a END
        WHERE d.user_a = ${userId} OR d.user_b = ${userId}
        ORDER BY r.last_seq DESC, r.id DESC`,
    );
    return (rows as (RoomRow & { peer_id: Int; peer_name: string })[]).map((r) => ({
      ...toRoom(r),
      peer: { id: Number(r.peer_id), name: r.peer_name },
    }));
  }

  async addContact(userId: number, contactId: number, now: number) {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO contacts (user_id, contact_id, created_at) VALUES (${userId}, ${contactId}, ${now})
        ON CONFLICT DO NOTHING`,
    );
    return res.count > 0;
  }

  async removeContact(userId: number, contactId: number) {
    const res = await this.run(
      ({ sql }) => sql`
        DELETE FROM contacts WHERE user_id = ${userId} AND contact_id = ${contactId}`,
    );
    return res.count > 0;
  }

  async contactsOf(userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name FROM contacts c JOIN users u ON u.id = c.contact_id
        WHERE c.user_id = ${userId} ORDER BY u.name_key COLLATE "C"`,
    );
    return toUsers(rows);
  }

  async isContact(userId: number, contactId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT 1 FROM contacts WHERE user_id = ${userId} AND contact_id = ${contactId}`,
    );
    return rows.length > 0;
  }

  async block(userId: number, blockedId: number, now: number) {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (${userId}, ${blockedId}, ${now})
        ON CONFLICT DO NOTHING`,
    );
    return res.count > 0;
  }

  async unblock(userId: number, blockedId: number) {
    const res = await this.run(
      ({ sql }) => sql`DELETE FROM blocks WHERE user_id = ${userId} AND blocked_id = ${blockedId}`,
    );
    return res.count > 0;
  }

  async blockedBy(userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.user_id = ${userId} ORDER BY u.name_key COLLATE "C"`,
    );
    return toUsers(rows);
  }

  async hasBlocked(userId: number, otherId: number) {
    const rows = await this.run(
      ({ sql }) => sql`SELECT 1 FROM blocks WHERE user_id = ${userId} AND blocked_id = ${otherId}`,
    );
    return rows.length > 0;
  }

  async dmPolicy(userId: number): Promise<DmPolicy> {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT dm_policy FROM users WHERE id = ${userId}`,
    );
    return row?.dm_policy ?? "everyone";
  }

  async setDmPolicy(userId: number, policy: DmPolicy) {
    await this.run(({ sql }) => sql`UPDATE users SET dm_policy = ${policy} WHERE id = ${userId}`);
  }

  async putDevice(
    userId: number,
    deviceId: string,
    bundle: string,
    now: number,
    maxDevices: number,
  ): Promise<"ok" | "too-many"> {
    return this.run(({ sql }) =>
      sql.begin(async (tx): Promise<"ok" | "too-many"> => {
        // The user's row lock queues this user's publishes from every node, so two devices
        // cannot both see room for one more. NO KEY UPDATE leaves foreign keys to it unblocked.
        await tx`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
        const [row] = await tx`
          SELECT count(*)::int AS n FROM devices WHERE user_id = ${userId} AND device_id <> ${deviceId}`;
        if (row.n >= maxDevices) return "too-many";
        await tx`
          INSERT INTO devices (user_id, device_id, bundle, created_at, updated_at)
          VALUES (${userId}, ${deviceId}, ${bundle}, ${now}, ${now})
          ON CONFLICT (user_id, device_id) DO UPDATE SET bundle = excluded.bundle,
            updated_at = excluded.updated_at`;
        return "ok";
      }),
    );
  }

  async devicesOf(userIds: readonly number[]) {
    const found = new Map<number, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return found;
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT user_id, bundle FROM devices WHERE user_id = ANY(${[...found.keys()]}::bigint[])
        ORDER BY user_id, created_at, device_id COLLATE "C"`,
    );
    for (const r of rows as { user_id: Int; bundle: string }[]) {
      found.get(Number(r.user_id))?.push(r.bundle);
    }
    return found;
  }

  async append(batch: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    return this.run(async (pool) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await pool.sql.begin((tx) => this.appendIn(tx, pool, batch));
        } catch (err) {
          // Connection errors are not retried here: if COMMIT was sent, its outcome is unknown,
          // and a rerun would report the stored messages as duplicates that nobody published.
          // The caller refuses the batch, and the clients' retries with the same cids are safe.
          if (attempt < APPEND_ATTEMPTS && isLostRace(err)) continue;
          throw err;
        }
      }
    });
  }

  private async appendIn(
    tx: SQL,
    pool: Pool,
    batch: readonly AppendRequest[],
  ): Promise<AppendResult[]> {
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
      SELECT ${pool.messages} FROM messages m JOIN users u ON u.id = m.sender_id
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
    const fresh: { message: Message; req: AppendRequest }[] = [];
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
        body: req.sealed ? "" : req.body,
      };
      if (req.sealed) message.envelope = JSON.parse(req.body);
      if (req.file) message.file = req.file;
      head.set(req.room, message.seq);
      known.set(key, message);
      fresh.push({ message, req });
      results.push({ ok: true, message, duplicate: false });
    }
    if (fresh.length === 0) return results;

    await tx`
      INSERT INTO messages (room_id, seq, sender_id, client_id, body, sealed, ts, file)
      SELECT * FROM unnest(
        ${fresh.map((f) => f.message.room)}::bigint[], ${fresh.map((f) => f.message.seq)}::bigint[],
        ${fresh.map((f) => f.message.from.id)}::bigint[], ${fresh.map((f) => f.req.cid)}::text[],
        ${fresh.map((f) => f.req.body)}::text[], ${fresh.map((f) => f.req.sealed === true)}::boolean[],
        ${fresh.map((f) => f.message.ts)}::bigint[],
        ${fresh.map((f) => (f.req.file ? JSON.stringify(f.req.file) : null))}::text[])`;
    const bumped = roomIds.filter((id) => fresh.some((f) => f.message.room === id));
    await tx`
      UPDATE rooms SET last_seq = v.seq
      FROM unnest(${bumped}::bigint[], ${bumped.map((id) => head.get(id) as number)}::bigint[])
        AS v(id, seq)
      WHERE rooms.id = v.id`;
    return results;
  }

  async putFile(f: FileRecord): Promise<"ok" | "taken"> {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO files (id, room_id, uploader_id, sha256, size, name, type, created_at)
        VALUES (${f.id}, ${f.room}, ${f.uploader}, ${f.sha256}, ${f.size}, ${f.name ?? null},
          ${f.type ?? null}, ${f.createdAt})
        ON CONFLICT (id) DO NOTHING`,
    );
    return res.count > 0 ? "ok" : "taken";
  }

  async findFile(id: string): Promise<FileRecord | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`
        SELECT id, room_id, uploader_id, sha256, size, name, type, created_at FROM files
        WHERE id = ${id}`,
    );
    if (!row) return undefined;
    return {
      id: row.id,
      room: Number(row.room_id),
      uploader: Number(row.uploader_id),
      sha256: row.sha256,
      size: Number(row.size),
      ...(row.name !== null ? { name: row.name } : {}),
      ...(row.type !== null ? { type: row.type } : {}),
      createdAt: Number(row.created_at),
    };
  }

  async messagesAfter(roomId: number, after: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${roomId} AND m.seq > ${after} ORDER BY m.seq LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toMessage);
  }

  async messagesBefore(roomId: number, before: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${roomId} AND m.seq < ${before} ORDER BY m.seq DESC LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toMessage).reverse();
  }

  async close() {
    this.closed = true;
    await Promise.all([this.pool.sql.close({ timeout: 5 }), ...this.retiring]);
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
