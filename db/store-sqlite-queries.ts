/**
 * The SQLite message log's statements, prepared once per connection: the append's
 * (store-sqlite-append.ts) and the log's reads (store-sqlite-log.ts), and the row shape they
 * return. Parameterized only.
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { Message } from "../src/protocol/index.ts";
import { type LogEntry, type LogRow, toLogEntry } from "./log-entry.ts";
import type { SearchRow } from "./search-fts.ts";

/** A log row as SQLite returns it: booleans are 0 or 1. */
export type MessageRow = Omit<LogRow, "sealed"> & { sealed: number };

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
    roomExists: s<{ one: number }, [number]>("SELECT 1 AS one FROM rooms WHERE id = ?"),
    hasClientId: s<{ one: number }, [number, string]>(
      "SELECT 1 AS one FROM messages WHERE sender_id = ? AND client_id = ?",
    ),
    findByClientId: s<MessageRow, [number, string]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.sender_id = ? AND m.client_id = ?`,
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
    search: s<SearchRow, [string, number, number | null, number, number, number]>(
      `SELECT m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name, m.body
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
