/**
 * The SQLite store's statements, prepared once per connection: every query the store runs, and
 * the row shapes they return. Parameterized only.
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { DmPolicy, Message } from "../src/protocol/index.ts";
import { type LogEntry, type LogRow, toLogEntry } from "./log-entry.ts";
import type { FileRecord, MembershipRecord, RoomRecord, SessionInfo, UserRecord } from "./store.ts";

/** A log row as SQLite returns it: booleans are 0 or 1. */
export type MessageRow = Omit<LogRow, "sealed"> & { sealed: number };

interface FileRow {
  id: string;
  room: number;
  uploader: number;
  sha256: string;
  size: number;
  name: string | null;
  type: string | null;
  createdAt: number;
}

export function toFile(row: FileRow): FileRecord {
  const { name, type, ...rest } = row;
  return { ...rest, ...(name !== null ? { name } : {}), ...(type !== null ? { type } : {}) };
}

/**
 * A new room's id: past every room's and every audited room's, so the id of a deleted room is
 * never handed out again (SQLite would reuse the highest rowid) and its audit rows stay its own.
 * PostgreSQL's sequence never reuses one.
 */
const NEXT_ROOM_ID = `(SELECT coalesce(max(x), 0) + 1 FROM (SELECT max(id) AS x FROM rooms
  UNION ALL SELECT max(room_id) FROM audit_log))`;

// A message's reply quote and reactions are read only when it has them (the CASEs), so a plain
// message costs what it did before events existed.
const MESSAGE_COLUMNS = `m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name,
  m.client_id AS cid, m.body, m.sealed, m.file, m.kind, m.target, m.data,
  m.edited_at AS edited, m.deleted_at AS deleted,
  CASE WHEN m.reply_to IS NOT NULL THEN (
    SELECT json_object('seq', t.seq, 'id', t.sender_id, 'name', tu.name,
      'body', CASE WHEN t.sealed OR t.deleted_at IS NOT NULL THEN '' ELSE substr(t.body, 1, 120) END,
      'deleted', t.deleted_at IS NOT NULL)
    FROM messages t JOIN users tu ON tu.id = t.sender_id
    WHERE t.room_id = m.room_id AND t.seq = m.reply_to) END AS reply,
  CASE WHEN m.kind IS NULL AND m.sealed = 0 THEN (
    SELECT json_group_array(json_array(x.emoji, x.user_id, x.name)) FROM (
      SELECT r.emoji, r.user_id, ru.name FROM reactions r JOIN users ru ON ru.id = r.user_id
      WHERE r.room_id = m.room_id AND r.seq = m.seq ORDER BY r.created_at, r.user_id, r.emoji) x
    ) END AS reactions`;
const ROOM_COLUMNS = `r.id, r.kind, r.name, r.topic, r.created_at AS createdAt, r.last_seq AS head,
  r.member_count AS members, CASE WHEN r.kind = 'dm' THEN 'private' ELSE r.visibility END AS visibility,
  r.archived_at AS archivedAt`;

export function toEntry(row: MessageRow): LogEntry {
  return toLogEntry({ ...row, sealed: row.sealed !== 0 });
}

/** A row read with `kind IS NULL`: a message. */
export function toMessage(row: MessageRow): Message {
  return toEntry(row) as Message;
}

export type Queries = ReturnType<typeof prepare>;

export function prepare(db: Database) {
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
       JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?
       AND u.disabled_at IS NULL`,
    ),
    deleteSession: s<never, [string]>("DELETE FROM sessions WHERE token_hash = ?"),
    deleteExpired: s<never, [number]>("DELETE FROM sessions WHERE expires_at <= ?"),
    deleteExpiredTickets: s<never, [number]>("DELETE FROM ws_tickets WHERE expires_at <= ?"),
    listSessions: s<SessionInfo, [number, number]>(
      `SELECT token_hash AS tokenHash, created_at AS createdAt, last_seen_at AS lastSeenAt,
         expires_at AS expiresAt, agent FROM sessions WHERE user_id = ? AND expires_at > ?
       ORDER BY created_at DESC, token_hash`,
    ),
    deleteSessionsOf: s<{ tokenHash: string }, [number, string]>(
      "DELETE FROM sessions WHERE user_id = ? AND token_hash != ? RETURNING token_hash AS tokenHash",
    ),
    touchSession: s<never, [number, string | null, string]>(
      "UPDATE sessions SET last_seen_at = ?, agent = coalesce(?, agent) WHERE token_hash = ?",
    ),
    setPassword: s<never, [string, number]>("UPDATE users SET password_hash = ? WHERE id = ?"),
    insertTicket: s<never, [string, string, number]>(
      "INSERT INTO ws_tickets (ticket_hash, token_hash, expires_at) VALUES (?, ?, ?)",
    ),
    consumeTicket: s<{ tokenHash: string }, [string, number]>(
      "DELETE FROM ws_tickets WHERE ticket_hash = ? AND expires_at > ? RETURNING token_hash AS tokenHash",
    ),
    listRoomsPage: s<RoomRecord, [string, number]>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.kind = 'room' AND r.visibility = 'public' AND r.name_key > ?
       ORDER BY r.name_key LIMIT ?`,
    ),
    joinedRooms: s<RoomRecord, [number]>(
      `SELECT ${ROOM_COLUMNS} FROM members m JOIN rooms r ON r.id = m.room_id
       WHERE m.user_id = ? AND r.kind = 'room' ORDER BY r.name_key`,
    ),
    countRoomsCreatedBy: s<{ n: number }, [number]>(
      "SELECT count(*) AS n FROM rooms WHERE created_by = ? AND kind = 'room'",
    ),
    uploadedBytes: s<{ n: number }, [number, number]>(
      "SELECT coalesce(sum(size), 0) AS n FROM files WHERE uploader_id = ? AND created_at >= ?",
    ),
    unsharedFiles: s<FileRow, [number, number]>(
      `SELECT id, room_id AS room, uploader_id AS uploader, sha256, size, name, type,
         created_at AS createdAt FROM files f
       WHERE f.created_at < ? AND f.name IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM messages m WHERE m.room_id = f.room_id AND m.file IS NOT NULL
           AND json_extract(m.file, '$.id') = f.id)
       ORDER BY f.created_at LIMIT ?`,
    ),
    deleteFile: s<{ sha256: string }, [string]>("DELETE FROM files WHERE id = ? RETURNING sha256"),
    shaInUse: s<{ one: number }, [string]>("SELECT 1 AS one FROM files WHERE sha256 = ? LIMIT 1"),
    insertRoom: s<{ id: number }, [string, string, string, number, number, string]>(
      `INSERT INTO rooms (id, name, name_key, topic, created_by, created_at, visibility)
       VALUES (${NEXT_ROOM_ID}, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    ),
    findRoom: s<RoomRecord, [number]>(`SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.id = ?`),
    findRoomByName: s<RoomRecord, [string]>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.name_key = ? AND r.kind = 'room'`,
    ),
    listRooms: s<RoomRecord, []>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.kind = 'room' AND r.visibility = 'public'
       ORDER BY r.name_key`,
    ),
    findUserById: s<{ id: number; name: string }, [number]>(
      "SELECT id, name FROM users WHERE id = ?",
    ),
    memberships: s<MembershipRecord, [number, number]>(
      `SELECT m.room_id AS room, m.last_read AS lastRead,
         (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
            AND x.seq > m.last_read AND x.sender_id != m.user_id AND x.kind IS NULL
            LIMIT ?1)) AS unread,
         (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
            AND x.seq > m.last_read AND x.sender_id != m.user_id AND x.kind IS NULL
            AND x.sealed = 0 AND x.deleted_at IS NULL
            AND instr(lower(x.body), '@' || (SELECT lower(name) FROM users WHERE id = m.user_id)) > 0
            LIMIT ?1)) AS mentions
       FROM members m WHERE m.user_id = ?2`,
    ),
    markRead: s<never, [number, number, number]>(
      `UPDATE members SET last_read = max(last_read, min(?, (SELECT last_seq FROM rooms WHERE id = room_id)))
       WHERE room_id = ? AND user_id = ?`,
    ),
    findDm: s<{ room: number }, [number, number]>(
      "SELECT room_id AS room FROM dms WHERE user_a = ? AND user_b = ?",
    ),
    insertDmRoom: s<{ id: number }, [string, string, number, number]>(
      `INSERT INTO rooms (id, kind, name, name_key, topic, created_by, created_at)
       VALUES (${NEXT_ROOM_ID}, 'dm', ?, ?, '', ?, ?) RETURNING id`,
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
    blockersOf: s<{ id: number }, [number]>(
      "SELECT user_id AS id FROM blocks WHERE blocked_id = ?",
    ),
    acceptedBy: s<{ id: number }, [number]>(
      "SELECT user_id AS id FROM contacts WHERE contact_id = ?",
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
    mutedUntil: s<{ until: number; archived: number | null }, [number, number]>(
      `SELECT m.muted_until AS until, r.archived_at AS archived
       FROM members m JOIN rooms r ON r.id = m.room_id WHERE m.room_id = ? AND m.user_id = ?`,
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
    insertMessage: s<
      never,
      [number, number, number, string, string, number, number, string | null, number | null]
    >(
      `INSERT INTO messages (room_id, seq, sender_id, client_id, body, sealed, ts, file, reply_to)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertFile: s<
      never,
      [string, number, number, string, number, string | null, string | null, number]
    >(
      `INSERT INTO files (id, room_id, uploader_id, sha256, size, name, type, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    findFile: s<FileRow, [string]>(
      `SELECT id, room_id AS room, uploader_id AS uploader, sha256, size, name, type,
         created_at AS createdAt FROM files WHERE id = ?`,
    ),
    // Lists travel as one JSON array: one prepared statement serves any length.
    roomHeads: s<{ id: number; head: number }, [string]>(
      "SELECT id, last_seq AS head FROM rooms WHERE id IN (SELECT value FROM json_each(?))",
    ),
    liveSessions: s<{ hash: string }, [string, number]>(
      `SELECT token_hash AS hash FROM sessions s
       WHERE token_hash IN (SELECT value FROM json_each(?)) AND expires_at > ?
       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.disabled_at IS NOT NULL)`,
    ),
    usersWithRooms: s<{ id: number; name: string; rooms: string }, [string]>(
      `SELECT u.id, u.name, (SELECT json_group_array(room_id) FROM members WHERE user_id = u.id)
         AS rooms FROM users u WHERE u.id IN (SELECT value FROM json_each(?))`,
    ),
    messagesAfter: s<MessageRow, [number, number, number]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.room_id = ? AND m.seq > ? AND m.kind IS NULL ORDER BY m.seq LIMIT ?`,
    ),
    messagesBefore: s<MessageRow, [number, number, number]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.room_id = ? AND m.seq < ? AND m.kind IS NULL ORDER BY m.seq DESC LIMIT ?`,
    ),
    logAfter: s<MessageRow, [number, number, number]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.room_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
    ),
    logBefore: s<MessageRow, [number, number, number]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.room_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
    ),
    // rowid = room_id * 2^32 + seq (migration 007), so (ts, rowid) orders as (ts, room, seq).
    search: s<
      { room: number; seq: number; ts: number; sender: number; name: string; snippet: string },
      [string, number, number | null, number, number, number]
    >(
      `SELECT m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name,
         snippet(message_search, 0, '', '', '…', 16) AS snippet
       FROM message_search s
       JOIN messages m ON m.room_id = (s.rowid >> 32) AND m.seq = (s.rowid & 4294967295)
       JOIN users u ON u.id = m.sender_id
       WHERE message_search MATCH ?1
         AND (s.rowid >> 32) IN (SELECT mm.room_id FROM members mm JOIN rooms r ON r.id = mm.room_id
           WHERE mm.user_id = ?2 AND r.kind = 'room')
         AND (?3 IS NULL OR (s.rowid >> 32) = ?3)
         AND (m.ts < ?4 OR (m.ts = ?4 AND s.rowid < ?5))
       ORDER BY m.ts DESC, s.rowid DESC LIMIT ?6`,
    ),
    findMessage: s<MessageRow, [number, number]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.room_id = ? AND m.seq = ? AND m.kind IS NULL`,
    ),
    /** What an event or a reply needs to know of its target, read in the append. */
    target: s<{ kind: string | null; deleted: number | null; sealed: number }, [number, number]>(
      "SELECT kind, deleted_at AS deleted, sealed FROM messages WHERE room_id = ? AND seq = ?",
    ),
    insertEvent: s<
      never,
      [number, number, number, string, string, number, number, string, number | null, string | null]
    >(
      `INSERT INTO messages (room_id, seq, sender_id, client_id, body, sealed, ts, kind, target, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    editMessage: s<never, [string, number, number, number]>(
      "UPDATE messages SET body = ?, edited_at = ? WHERE room_id = ? AND seq = ?",
    ),
    // Erasure: the text, the file and the sealed text go; so do the earlier edits' texts and
    // the sealed reactions aimed at it. The rows stay, so seqs stay gapless.
    eraseMessage: s<never, [number, number, number]>(
      "UPDATE messages SET body = '', file = NULL, deleted_at = ? WHERE room_id = ? AND seq = ?",
    ),
    eraseEvents: s<never, [number, number]>(
      `UPDATE messages SET body = '' WHERE room_id = ? AND target = ?
         AND (kind = 'edit' OR (kind = 'react' AND sealed = 1))`,
    ),
    dropReactions: s<never, [number, number]>(
      "DELETE FROM reactions WHERE room_id = ? AND seq = ?",
    ),
    reactionCount: s<{ n: number; has: number }, [string, number, number]>(
      `SELECT count(DISTINCT emoji) AS n, coalesce(max(emoji = ?), 0) AS has FROM reactions
       WHERE room_id = ? AND seq = ?`,
    ),
    addReaction: s<never, [number, number, string, number, number]>(
      `INSERT INTO reactions (room_id, seq, emoji, user_id, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    removeReaction: s<never, [number, number, string, number]>(
      "DELETE FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ? AND user_id = ?",
    ),
  };
}
