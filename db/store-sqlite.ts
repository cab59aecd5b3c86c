/**
 * The embedded store: bun:sqlite in WAL mode with synchronous=FULL.
 *
 * Durability promise: WAL + FULL fsyncs the log at every commit, so a transaction that has
 * committed survives a process crash and a power loss (as far as the disk honours fsync).
 * The server acks a message only after the commit that holds it, and group commit keeps the
 * fsync count per batch, not per message.
 */
import { Database, type SQLQueryBindings, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DmPolicy, Message } from "../src/protocol/index.ts";
import { nameKey } from "../src/protocol/index.ts";
import { type Migration, sqliteMigrations } from "./migrations.ts";
import {
  type AppendRequest,
  type AppendResult,
  type DmRecord,
  type MembershipRecord,
  type RoomRecord,
  type SessionRecord,
  type Store,
  UNREAD_COUNT_MAX,
  type UserRecord,
} from "./store.ts";

interface MessageRow {
  room: number;
  seq: number;
  ts: number;
  sender: number;
  name: string;
  cid: string;
  body: string;
  sealed: number;
}

const MESSAGE_COLUMNS =
  "m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name, m.client_id AS cid, m.body, m.sealed";
const ROOM_COLUMNS = `r.id, r.kind, r.name, r.topic, r.created_at AS createdAt, r.last_seq AS head,
  (SELECT count(*) FROM members WHERE room_id = r.id) AS members`;

function toMessage(row: MessageRow): Message {
  const m: Message = {
    room: row.room,
    seq: row.seq,
    ts: row.ts,
    from: { id: row.sender, name: row.name },
    cid: row.cid,
    body: row.sealed ? "" : row.body,
  };
  if (row.sealed) m.envelope = JSON.parse(row.body);
  return m;
}

export function openSqlite(path: string): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  // Set explicitly: FULL makes each commit durable against power loss, not just a crash.
  db.run("PRAGMA synchronous = FULL");
  db.run("PRAGMA foreign_keys = ON");
  db.run("PRAGMA busy_timeout = 5000");
  return db;
}

/** Applies every migration newer than the file's user_version, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[] = sqliteMigrations): number {
  const row = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
  let version = row?.user_version ?? 0;
  for (const m of migrations) {
    if (m.version <= version) continue;
    db.transaction(() => {
      db.run(m.sql);
      db.run(`PRAGMA user_version = ${m.version}`);
    }).immediate();
    version = m.version;
  }
  return version;
}

export class SqliteStore implements Store {
  readonly db: Database;
  private readonly q: ReturnType<typeof prepare>;
  private readonly appendTx: (batch: readonly AppendRequest[]) => AppendResult[];

  constructor(path: string) {
    this.db = openSqlite(path);
    migrate(this.db);
    this.q = prepare(this.db);
    this.appendTx = this.db.transaction((batch: readonly AppendRequest[]) =>
      batch.map((req) => this.appendOne(req)),
    ).immediate;
  }

  async createUser(name: string, passwordHash: string, now: number) {
    const row = this.q.insertUser.get(name, nameKey(name), passwordHash, now);
    return row ? { id: row.id, name, passwordHash } : "taken";
  }

  async findUser(name: string): Promise<UserRecord | undefined> {
    return this.q.findUser.get(nameKey(name)) ?? undefined;
  }

  async createSession(userId: number, tokenHash: string, now: number, expiresAt: number) {
    this.q.insertSession.run(tokenHash, userId, now, expiresAt);
  }

  async findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    const row = this.q.findSession.get(tokenHash, now);
    return row ? { user: { id: row.id, name: row.name }, expiresAt: row.expiresAt } : undefined;
  }

  async deleteSession(tokenHash: string) {
    return this.q.deleteSession.run(tokenHash).changes > 0;
  }

  async deleteExpiredSessions(now: number) {
    return this.q.deleteExpired.run(now).changes;
  }

  async createRoom(name: string, topic: string, creatorId: number, now: number) {
    const room = this.db
      .transaction(() => {
        const row = this.q.insertRoom.get(name, nameKey(name), topic, creatorId, now);
        if (!row) return undefined;
        this.q.insertMember.run(row.id, creatorId, now);
        return row.id;
      })
      .immediate();
    if (room === undefined) return "taken";
    return (await this.findRoom(room)) as RoomRecord;
  }

  async findRoom(id: number) {
    return this.q.findRoom.get(id) ?? undefined;
  }

  async findRoomByName(name: string) {
    return this.q.findRoomByName.get(nameKey(name)) ?? undefined;
  }

  async listRooms() {
    return this.q.listRooms.all();
  }

  async addMember(roomId: number, userId: number, now: number) {
    return this.q.insertMember.run(roomId, userId, now).changes > 0;
  }

  async removeMember(roomId: number, userId: number) {
    return this.q.deleteMember.run(roomId, userId).changes > 0;
  }

  async isMember(roomId: number, userId: number) {
    return this.q.isMember.get(roomId, userId) !== null;
  }

  async roomsOf(userId: number) {
    return this.q.roomsOf.all(userId).map((r) => r.room);
  }

  async membersOf(roomId: number) {
    return this.q.membersOf.all(roomId);
  }

  async findUserById(id: number) {
    return this.q.findUserById.get(id) ?? undefined;
  }

  async memberships(userId: number) {
    return this.q.memberships.all(UNREAD_COUNT_MAX, userId);
  }

  async markRead(roomId: number, userId: number, seq: number) {
    this.q.markRead.run(seq, roomId, userId);
  }

  async openDm(userId: number, peerId: number, now: number) {
    const [a, b] = userId < peerId ? [userId, peerId] : [peerId, userId];
    let created = false;
    const room = this.db
      .transaction(() => {
        const found = this.q.findDm.get(a, b);
        if (found) return found.room;
        created = true;
        const name = `dm:${a}:${b}`;
        const row = this.q.insertDmRoom.get(name, name, userId, now) as { id: number };
        this.q.insertDm.run(a, b, row.id);
        this.q.insertMember.run(row.id, a, now);
        this.q.insertMember.run(row.id, b, now);
        return row.id;
      })
      .immediate();
    const record = (await this.findRoom(room)) as RoomRecord;
    const peer = (await this.findUserById(peerId)) as { id: number; name: string };
    return { ...record, peer, created };
  }

  async dmUsers(roomId: number): Promise<[number, number] | undefined> {
    const row = this.q.dmUsers.get(roomId);
    return row ? [row.a, row.b] : undefined;
  }

  async listDms(userId: number): Promise<DmRecord[]> {
    return this.q.listDms.all(userId, userId, userId).map(({ peerId, peerName, ...room }) => ({
      ...room,
      peer: { id: peerId, name: peerName },
    }));
  }

  async addContact(userId: number, contactId: number, now: number) {
    return this.q.addContact.run(userId, contactId, now).changes > 0;
  }

  async removeContact(userId: number, contactId: number) {
    return this.q.removeContact.run(userId, contactId).changes > 0;
  }

  async contactsOf(userId: number) {
    return this.q.contactsOf.all(userId);
  }

  async isContact(userId: number, contactId: number) {
    return this.q.isContact.get(userId, contactId) !== null;
  }

  async block(userId: number, blockedId: number, now: number) {
    return this.q.block.run(userId, blockedId, now).changes > 0;
  }

  async unblock(userId: number, blockedId: number) {
    return this.q.unblock.run(userId, blockedId).changes > 0;
  }

  async blockedBy(userId: number) {
    return this.q.blockedBy.all(userId);
  }

  async hasBlocked(userId: number, otherId: number) {
    return this.q.hasBlocked.get(userId, otherId) !== null;
  }

  async dmPolicy(userId: number): Promise<DmPolicy> {
    return this.q.dmPolicy.get(userId)?.policy ?? "everyone";
  }

  async setDmPolicy(userId: number, policy: DmPolicy) {
    this.q.setDmPolicy.run(policy, userId);
  }

  async putDevice(
    userId: number,
    deviceId: string,
    bundle: string,
    now: number,
    maxDevices: number,
  ): Promise<"ok" | "too-many"> {
    return this.db
      .transaction((): "ok" | "too-many" => {
        if ((this.q.countDevices.get(userId, deviceId)?.n ?? 0) >= maxDevices) return "too-many";
        this.q.putDevice.run(userId, deviceId, bundle, now, now);
        return "ok";
      })
      .immediate();
  }

  async devicesOf(userIds: readonly number[]) {
    const found = new Map<number, string[]>();
    for (const id of userIds)
      found.set(
        id,
        this.q.devicesOf.all(id).map((r) => r.bundle),
      );
    return found;
  }

  async append(batch: readonly AppendRequest[]) {
    return this.appendTx(batch);
  }

  private appendOne(req: AppendRequest): AppendResult {
    const q = this.q;
    // The cheap probe first: reading the full row costs ~10x more and is almost never needed.
    if (q.hasClientId.get(req.sender.id, req.cid) !== null) {
      const existing = q.findByClientId.get(req.sender.id, req.cid) as MessageRow;
      return { ok: true, message: toMessage(existing), duplicate: true };
    }
    if (q.isMember.get(req.room, req.sender.id) === null) {
      return { ok: false, code: q.roomExists.get(req.room) ? "NOT_MEMBER" : "ROOM_NOT_FOUND" };
    }
    const bumped = q.bumpSeq.get(req.room);
    if (!bumped) return { ok: false, code: "ROOM_NOT_FOUND" };
    q.insertMessage.run(
      req.room,
      bumped.seq,
      req.sender.id,
      req.cid,
      req.body,
      req.sealed ? 1 : 0,
      req.ts,
    );
    const message: Message = {
      room: req.room,
      seq: bumped.seq,
      ts: req.ts,
      from: req.sender,
      cid: req.cid,
      body: req.sealed ? "" : req.body,
    };
    if (req.sealed) message.envelope = JSON.parse(req.body);
    return { ok: true, duplicate: false, message };
  }

  async messagesAfter(roomId: number, after: number, limit: number) {
    return this.q.messagesAfter.all(roomId, after, limit).map(toMessage);
  }

  async messagesBefore(roomId: number, before: number, limit: number) {
    return this.q.messagesBefore.all(roomId, before, limit).map(toMessage).reverse();
  }

  async close() {
    this.db.close();
  }
}

function prepare(db: Database) {
  const s = <R, P extends SQLQueryBindings[]>(sql: string): Statement<R, P> =>
    db.query<R, P>(sql) as Statement<R, P>;
  return {
    insertUser: s<{ id: number }, [string, string, string, number]>(
      `INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    ),
    findUser: s<UserRecord, [string]>(
      "SELECT id, name, password_hash AS passwordHash FROM users WHERE name_key = ?",
    ),
    insertSession: s<never, [string, number, number, number]>(
      "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    ),
    findSession: s<{ id: number; name: string; expiresAt: number }, [string, number]>(
      `SELECT u.id, u.name, s.expires_at AS expiresAt FROM sessions s
       JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`,
    ),
    deleteSession: s<never, [string]>("DELETE FROM sessions WHERE token_hash = ?"),
    deleteExpired: s<never, [number]>("DELETE FROM sessions WHERE expires_at <= ?"),
    insertRoom: s<{ id: number }, [string, string, string, number, number]>(
      `INSERT INTO rooms (name, name_key, topic, created_by, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    ),
    findRoom: s<RoomRecord, [number]>(`SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.id = ?`),
    findRoomByName: s<RoomRecord, [string]>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.name_key = ? AND r.kind = 'room'`,
    ),
    listRooms: s<RoomRecord, []>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.kind = 'room' ORDER BY r.name_key`,
    ),
    findUserById: s<{ id: number; name: string }, [number]>(
      "SELECT id, name FROM users WHERE id = ?",
    ),
    memberships: s<MembershipRecord, [number, number]>(
      `SELECT m.room_id AS room, m.last_read AS lastRead,
         (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
            AND x.seq > m.last_read AND x.sender_id != m.user_id LIMIT ?)) AS unread
       FROM members m WHERE m.user_id = ?`,
    ),
    markRead: s<never, [number, number, number]>(
      `UPDATE members SET last_read = max(last_read, min(?, (SELECT last_seq FROM rooms WHERE id = room_id)))
       WHERE room_id = ? AND user_id = ?`,
    ),
    findDm: s<{ room: number }, [number, number]>(
      "SELECT room_id AS room FROM dms WHERE user_a = ? AND user_b = ?",
    ),
    insertDmRoom: s<{ id: number }, [string, string, number, number]>(
      `INSERT INTO rooms (kind, name, name_key, topic, created_by, created_at)
       VALUES ('dm', ?, ?, '', ?, ?) RETURNING id`,
    ),
    insertDm: s<never, [number, number, number]>(
      "INSERT INTO dms (user_a, user_b, room_id) VALUES (?, ?, ?)",
    ),
    dmUsers: s<{ a: number; b: number }, [number]>(
      "SELECT user_a AS a, user_b AS b FROM dms WHERE room_id = ?",
    ),
    listDms: s<RoomRecord & { peerId: number; peerName: string }, [number, number, number]>(
      `SELECT ${ROOM_COLUMNS}, p.id AS peerId, p.name AS peerName FROM dms d
       JOIN rooms r ON r.id = d.room_id
       JOIN users p ON p.id = CASE WHEN d.user_a = ? THEN d.user_b ELSE d.user_a END
       WHERE d.user_a = ? OR d.user_b = ? ORDER BY r.last_seq DESC`,
    ),
    addContact: s<never, [number, number, number]>(
      "INSERT INTO contacts (user_id, contact_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    removeContact: s<never, [number, number]>(
      "DELETE FROM contacts WHERE user_id = ? AND contact_id = ?",
    ),
    contactsOf: s<{ id: number; name: string }, [number]>(
      `SELECT u.id, u.name FROM contacts c JOIN users u ON u.id = c.contact_id
       WHERE c.user_id = ? ORDER BY u.name_key`,
    ),
    isContact: s<{ one: number }, [number, number]>(
      "SELECT 1 AS one FROM contacts WHERE user_id = ? AND contact_id = ?",
    ),
    block: s<never, [number, number, number]>(
      "INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    unblock: s<never, [number, number]>("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?"),
    blockedBy: s<{ id: number; name: string }, [number]>(
      `SELECT u.id, u.name FROM blocks b JOIN users u ON u.id = b.blocked_id
       WHERE b.user_id = ? ORDER BY u.name_key`,
    ),
    hasBlocked: s<{ one: number }, [number, number]>(
      "SELECT 1 AS one FROM blocks WHERE user_id = ? AND blocked_id = ?",
    ),
    dmPolicy: s<{ policy: DmPolicy }, [number]>(
      "SELECT dm_policy AS policy FROM users WHERE id = ?",
    ),
    setDmPolicy: s<never, [string, number]>("UPDATE users SET dm_policy = ? WHERE id = ?"),
    countDevices: s<{ n: number }, [number, string]>(
      "SELECT count(*) AS n FROM devices WHERE user_id = ? AND device_id != ?",
    ),
    putDevice: s<never, [number, string, string, number, number]>(
      `INSERT INTO devices (user_id, device_id, bundle, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET bundle = excluded.bundle,
         updated_at = excluded.updated_at`,
    ),
    devicesOf: s<{ bundle: string }, [number]>(
      "SELECT bundle FROM devices WHERE user_id = ? ORDER BY created_at, device_id",
    ),
    roomExists: s<{ one: number }, [number]>("SELECT 1 AS one FROM rooms WHERE id = ?"),
    insertMember: s<never, [number, number, number]>(
      "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    deleteMember: s<never, [number, number]>(
      "DELETE FROM members WHERE room_id = ? AND user_id = ?",
    ),
    isMember: s<{ one: number }, [number, number]>(
      "SELECT 1 AS one FROM members WHERE room_id = ? AND user_id = ?",
    ),
    roomsOf: s<{ room: number }, [number]>("SELECT room_id AS room FROM members WHERE user_id = ?"),
    membersOf: s<{ id: number; name: string }, [number]>(
      `SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = ? ORDER BY u.name_key`,
    ),
    hasClientId: s<{ one: number }, [number, string]>(
      "SELECT 1 AS one FROM messages WHERE sender_id = ? AND client_id = ?",
    ),
    findByClientId: s<MessageRow, [number, string]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.sender_id = ? AND m.client_id = ?`,
    ),
    bumpSeq: s<{ seq: number }, [number]>(
      "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq AS seq",
    ),
    insertMessage: s<never, [number, number, number, string, string, number, number]>(
      `INSERT INTO messages (room_id, seq, sender_id, client_id, body, sealed, ts)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    messagesAfter: s<MessageRow, [number, number, number]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.room_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
    ),
    messagesBefore: s<MessageRow, [number, number, number]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.room_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
    ),
  };
}
