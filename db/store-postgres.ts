/**
 * The shared store for many nodes: PostgreSQL through Bun's built-in client (`Bun.SQL`).
 *
 * Durability promise: append resolves after PostgreSQL answered COMMIT, so an acked message is
 * as durable as the server's WAL settings make it (synchronous_commit = on by default).
 * Seqs are assigned in the database under the room's row lock, so writers on different nodes
 * get gapless, unique seqs per room. When PostgreSQL is unreachable every method rejects with
 * ParleyError UNAVAILABLE (retryAfter, the cause kept); the pool opens new connections on the
 * next call, so the store recovers without a restart. Appends run on a small pool of their own
 * (appendConnections), so a storm of reads never makes a send wait for a connection.
 *
 * No call waits forever: each runs under a deadline, past which the pool is replaced
 * (store-postgres-pool.ts). The append transaction is in store-postgres-append.ts, the
 * migrations runner in store-postgres-migrator.ts, the row shapes in store-postgres-rows.ts.
 */
import type { SQL } from "bun";
import type { DmPolicy, UserRef } from "../src/protocol/index.ts";
import { nameKey } from "../src/protocol/index.ts";
import type { Migration } from "./migrations.ts";
import type {
  AppendRequest,
  AppendResult,
  AuditBy,
  BotRecord,
  BotTokenRecord,
  DmRecord,
  FileRecord,
  MembershipRecord,
  ModerationRecord,
  NewBotToken,
  NewInvite,
  RoomRecord,
  RoomVisibility,
  SearchQuery,
  SessionRecord,
  Store,
  UserRecord,
} from "./store.ts";
import { UNREAD_COUNT_MAX } from "./store.ts";
import { PostgresAdmin } from "./store-postgres-admin.ts";
import { appendBatch } from "./store-postgres-append.ts";
import { PostgresBots } from "./store-postgres-bots.ts";
import { PostgresCommunities } from "./store-postgres-communities.ts";
import * as e2ee from "./store-postgres-e2ee.ts";
import { PostgresGroups } from "./store-postgres-groups.ts";
import * as hardening from "./store-postgres-hardening.ts";
import { findMessage, logAfter, logBefore, search } from "./store-postgres-log.ts";
import { liveSessions, roomHeads, usersWithRooms } from "./store-postgres-lookups.ts";
import { MIGRATION_TIMEOUT_S, migratePostgres } from "./store-postgres-migrator.ts";
import { type Pool, PostgresPool, type PostgresPoolOptions } from "./store-postgres-pool.ts";
import {
  type Int,
  type MessageRow,
  type RoomRow,
  toMessage,
  toRoom,
  toUsers,
} from "./store-postgres-rows.ts";
import * as settings from "./store-postgres-settings.ts";
import { PostgresUserInvites } from "./store-postgres-user-invites.ts";

export { migratePostgres } from "./store-postgres-migrator.ts";
export { PostgresTimeoutError } from "./store-postgres-pool.ts";

export interface PostgresStoreOptions extends PostgresPoolOptions {
  /** Migrations to apply at open; tests pass their own. @default postgresMigrations */
  migrations?: readonly Migration[];
  /**
   * Connections kept for appends alone, beside the `max` for everything else, so a storm of
   * reads (a mass resume) never makes sends wait for a connection. Match the commit queue's
   * batches in flight. @default 4
   */
  appendConnections?: number;
}

export class PostgresStore implements Store {
  private readonly pool: PostgresPool;
  private readonly bots: PostgresBots;
  private readonly communities: PostgresCommunities;
  private readonly userInv: PostgresUserInvites;
  private readonly admin: PostgresAdmin;
  private readonly appendPool: PostgresPool;
  readonly groups: PostgresGroups;

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

  private constructor(options: PostgresStoreOptions) {
    this.pool = new PostgresPool(options);
    this.bots = new PostgresBots((work) => this.run(work));
    this.communities = new PostgresCommunities((work) => this.run(work));
    this.userInv = new PostgresUserInvites((work) => this.run(work));
    this.admin = new PostgresAdmin((work) => this.run(work));
    this.groups = new PostgresGroups((work) => this.run(work));
    this.appendPool = new PostgresPool({ ...options, max: options.appendConnections ?? 4 });
  }

  /** The current pool, for tests and tools; it changes after a deadline. */
  get sql(): SQL {
    return this.pool.sql;
  }

  /** Runs `work` on the current pool, rejecting with PostgresTimeoutError past the deadline. */
  private run<T>(work: (pool: Pool) => Promise<T>, seconds?: number): Promise<T> {
    return this.pool.run(work, seconds);
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
        WHERE s.token_hash = ${tokenHash} AND s.expires_at > ${now} AND u.disabled_at IS NULL`,
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

  // Session controls, tickets, room pages, quotas: store-postgres-hardening.ts.
  listSessions = (userId: number, now: number) => hardening.listSessions(this.runner, userId, now);
  deleteSessionsOf = (userId: number, keep?: string) =>
    hardening.deleteSessionsOf(this.runner, userId, keep);
  touchSession = (tokenHash: string, now: number, agent?: string) =>
    hardening.touchSession(this.runner, tokenHash, now, agent);
  setPassword = (userId: number, hash: string) => hardening.setPassword(this.runner, userId, hash);
  createTicket = (ticketHash: string, tokenHash: string, expiresAt: number) =>
    hardening.createTicket(this.runner, ticketHash, tokenHash, expiresAt);
  consumeTicket = (ticketHash: string, now: number) =>
    hardening.consumeTicket(this.runner, ticketHash, now);
  listRoomsPage = (after: string | undefined, limit: number) =>
    hardening.listRoomsPage(this.runner, after, limit);
  joinedRooms = (userId: number) => hardening.joinedRooms(this.runner, userId);
  countRoomsCreatedBy = (userId: number) => hardening.countRoomsCreatedBy(this.runner, userId);
  uploadedBytes = (userId: number, since: number) =>
    hardening.uploadedBytes(this.runner, userId, since);
  unsharedFiles = (before: number, limit: number) =>
    hardening.unsharedFiles(this.runner, before, limit);
  deleteFile = (id: string) => hardening.deleteFile(this.runner, id);
  blockersOf = (userId: number) => hardening.blockersOf(this.runner, userId);
  acceptedBy = (userId: number) => hardening.acceptedBy(this.runner, userId);
  private readonly runner: hardening.Run = (work) => this.run(work);

  async deleteExpiredSessions(now: number) {
    await hardening.deleteExpiredTickets(this.runner, now);
    const res = await this.run(({ sql }) => sql`DELETE FROM sessions WHERE expires_at <= ${now}`);
    return res.count as number;
  }

  async createRoom(
    name: string,
    topic: string,
    creatorId: number,
    now: number,
    visibility: RoomVisibility = "public",
  ) {
    const id = await this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const [row] = await tx`
          INSERT INTO rooms (name, name_key, topic, created_by, created_at, visibility)
          VALUES (${name}, ${nameKey(name)}, ${topic}, ${creatorId}, ${now}, ${visibility})
          ON CONFLICT (name_key) DO NOTHING RETURNING id`;
        if (!row) return undefined;
        await tx`INSERT INTO members (room_id, user_id, joined_at, role)
                 VALUES (${row.id}, ${creatorId}, ${now}, 'owner')`;
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
        SELECT ${rooms} FROM rooms r WHERE r.kind = 'room' AND r.visibility = 'public'
        ORDER BY r.name_key COLLATE "C"`,
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
             AND x.seq > m.last_read AND x.sender_id <> m.user_id AND x.kind IS NULL
             LIMIT ${UNREAD_COUNT_MAX}) c)
            AS unread,
          (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
             AND x.seq > m.last_read AND x.sender_id <> m.user_id AND x.kind IS NULL
             AND NOT x.sealed AND x.deleted_at IS NULL AND position(${"@"} || lower(u.name) IN
             lower(x.body)) > 0 LIMIT ${UNREAD_COUNT_MAX}) c) AS mentions
        FROM members m JOIN users u ON u.id = m.user_id
        WHERE m.user_id = ${userId} ORDER BY m.room_id`,
    );
    return (rows as { room_id: Int; last_read: Int; unread: Int; mentions: Int }[]).map((r) => ({
      room: Number(r.room_id),
      lastRead: Number(r.last_read),
      unread: Number(r.unread),
      mentions: Number(r.mentions),
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

  // Signed device lists and the encrypted key backup: store-postgres-e2ee.ts.
  putDeviceList = (
    userId: number,
    key: string,
    version: number,
    list: string,
    now: number,
    replaceKey: boolean,
  ) => e2ee.putDeviceList(this.runner, userId, key, version, list, now, replaceKey);
  deviceListsOf = (userIds: readonly number[]) => e2ee.deviceListsOf(this.runner, userIds);
  putKeyBackup = (userId: number, info: string, now: number) =>
    e2ee.putKeyBackup(this.runner, userId, info, now);
  keyBackup = (userId: number) => e2ee.keyBackup(this.runner, userId);
  addBackupItem = (userId: number, item: string, now: number, maxItems: number) =>
    e2ee.addBackupItem(this.runner, userId, item, now, maxItems);
  backupItems = (userId: number, after: number, limit: number) =>
    e2ee.backupItems(this.runner, userId, after, limit);

  async append(batch: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    return this.appendPool.run((pool) => appendBatch(pool, batch));
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

  roomHeads(roomIds: readonly number[]) {
    return this.run((pool) => roomHeads(pool, roomIds));
  }

  liveSessions(tokenHashes: readonly string[], now: number) {
    return this.run((pool) => liveSessions(pool, tokenHashes, now));
  }

  usersWithRooms(userIds: readonly number[]) {
    return this.run((pool) => usersWithRooms(pool, userIds));
  }

  async messagesAfter(roomId: number, after: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${roomId} AND m.seq > ${after} AND m.kind IS NULL
        ORDER BY m.seq LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toMessage);
  }

  logAfter(roomId: number, after: number, limit: number) {
    return this.run((pool) => logAfter(pool, roomId, after, limit));
  }

  logBefore(roomId: number, before: number, limit: number) {
    return this.run((pool) => logBefore(pool, roomId, before, limit));
  }

  findMessage(roomId: number, seq: number) {
    return this.run((pool) => findMessage(pool, roomId, seq));
  }

  search(userId: number, q: SearchQuery) {
    return this.run((pool) => search(pool, userId, q));
  }

  async messagesBefore(roomId: number, before: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${roomId} AND m.seq < ${before} AND m.kind IS NULL
        ORDER BY m.seq DESC LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toMessage).reverse();
  }

  createBot(ownerId: number, name: string, passwordHash: string, now: number) {
    return this.bots.createBot(ownerId, name, passwordHash, now);
  }

  botsOf(ownerId: number): Promise<BotRecord[]> {
    return this.bots.botsOf(ownerId);
  }

  findBot = (botId: number) => this.bots.findBot(botId);

  createBotToken(token: NewBotToken): Promise<number> {
    return this.bots.createBotToken(token);
  }

  findBotToken(tokenHash: string): Promise<BotTokenRecord | undefined> {
    return this.bots.findBotToken(tokenHash);
  }

  botTokens = (botId: number) => this.bots.botTokens(botId);

  revokeBotToken(botId: number, tokenId: number, now: number) {
    return this.bots.revokeBotToken(botId, tokenId, now);
  }

  standing = (roomId: number, userId: number) => this.communities.standing(roomId, userId);
  standings = (roomId: number) => this.communities.standings(roomId);
  isBanned = (roomId: number, userId: number, now: number) =>
    this.communities.isBanned(roomId, userId, now);
  moderate = (record: ModerationRecord) => this.communities.moderate(record);
  createInvite = (invite: NewInvite) => this.communities.createInvite(invite);
  redeemInvite = (codeHash: string, user: UserRef, now: number) =>
    this.communities.redeemInvite(codeHash, user, now);
  invites = (roomId: number) => this.communities.invites(roomId);
  inviteUser = (r: number, u: number, by: AuditBy, exp: number) =>
    this.userInv.inviteUser(r, u, by, exp);
  userInvites = (userId: number, now: number) => this.userInv.userInvites(userId, now);
  answerUserInvite = (r: number, u: number, yes: boolean, now: number) =>
    this.userInv.answerUserInvite(r, u, yes, now);
  revokeInvite = (roomId: number, inviteId: number, actor: UserRef, now: number) =>
    this.communities.revokeInvite(roomId, inviteId, actor, now);
  auditLog = (roomId: number | undefined, limit: number) =>
    this.communities.auditLog(roomId, limit);

  accountFlags = (userId: number) => this.admin.accountFlags(userId);
  listUsers = (after: string | undefined, limit: number) => this.admin.listUsers(after, limit);
  setAdmin = (userId: number, admin: boolean, by: AuditBy) =>
    this.admin.setAdmin(userId, admin, by);
  setDisabled = (userId: number, disabled: boolean, by: AuditBy) =>
    this.admin.setDisabled(userId, disabled, by);
  resetPassword = (userId: number, hash: string, by: AuditBy) =>
    this.admin.resetPassword(userId, hash, by);
  deleteAccount = (userId: number, by: AuditBy) => this.admin.deleteAccount(userId, by);
  setting = (key: string) => this.admin.setting(key);
  setSetting = (key: string, value: string, by: AuditBy) => this.admin.setSetting(key, value, by);
  createServerInvite = (codeHash: string, expiresAt: number, maxUses: number, by: AuditBy) =>
    this.admin.createServerInvite(codeHash, expiresAt, maxUses, by);
  registerWithInvite = (codeHash: string, name: string, hash: string, now: number) =>
    this.admin.registerWithInvite(codeHash, name, hash, now);
  audit = (
    room: number | undefined,
    action: string,
    target: number | undefined,
    by: AuditBy,
    detail?: string,
  ) => this.admin.auditRow(room, action, target, by, detail);

  createReport = (room: number, seq: number, reporter: UserRef, reason: string, now: number) =>
    this.communities.createReport(room, seq, reporter, reason, now);
  reports = (roomId: number | undefined, open: boolean, limit: number) =>
    this.communities.reports(roomId, open, limit);
  resolveReport = (roomId: number, reportId: number, outcome: string, by: AuditBy) =>
    this.communities.resolveReport(roomId, reportId, outcome, by);

  // Appearance settings: store-postgres-settings.ts.
  userSettings = (userId: number) => settings.userSettings(this.runner, userId);
  putUserSettings = (userId: number, json: string, now: number) =>
    settings.putUserSettings(this.runner, userId, json, now);

  async close() {
    await Promise.all([this.pool.close(), this.appendPool.close()]);
  }
}
