/**
 * The PostgreSQL store's row shapes: the column lists its queries select, and the mapping of
 * each row to the records the Store interface returns.
 */
import type { Message, RoomKind, UserRef } from "../src/protocol/index.ts";
import { type LogEntry, toLogEntry } from "./log-entry.ts";
import type { RoomRecord, RoomVisibility } from "./store.ts";

export const ROOM_COLUMNS = `r.id,
  CASE WHEN EXISTS (SELECT 1 FROM group_rooms g WHERE g.room_id = r.id) THEN 'group' ELSE r.kind END AS kind, r.name, r.topic, r.created_at, r.last_seq AS head,
  r.member_count AS members, CASE WHEN r.kind = 'dm' THEN 'private' ELSE r.visibility END AS visibility,
  r.archived_at`;
// As the SQLite store's: a reply quote and reactions are read only for a message that has them.
export const MESSAGE_COLUMNS = `m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name,
  m.client_id AS cid, m.body, m.sealed, m.file, m.kind, m.target, m.data,
  m.edited_at AS edited, m.deleted_at AS deleted,
  CASE WHEN m.reply_to IS NOT NULL THEN (
    SELECT json_build_object('seq', t.seq, 'id', t.sender_id, 'name', tu.name,
      'body', CASE WHEN t.sealed OR t.deleted_at IS NOT NULL THEN '' ELSE left(t.body, 120) END,
      'deleted', t.deleted_at IS NOT NULL)::text
    FROM messages t JOIN users tu ON tu.id = t.sender_id
    WHERE t.room_id = m.room_id AND t.seq = m.reply_to) END AS reply,
  CASE WHEN m.kind IS NULL AND NOT m.sealed THEN (
    SELECT coalesce(json_agg(json_build_array(r.emoji, r.user_id, ru.name)
      ORDER BY r.created_at, r.user_id, r.emoji COLLATE "C"), '[]')::text
    FROM reactions r JOIN users ru ON ru.id = r.user_id
    WHERE r.room_id = m.room_id AND r.seq = m.seq) END AS reactions`;

// int8 columns arrive as strings (Bun's default); every mapper below turns them into numbers.
export type Int = string | number;

export interface MessageRow {
  room: Int;
  seq: Int;
  ts: Int;
  sender: Int;
  name: string;
  cid: string;
  body: string;
  sealed: boolean;
  file: string | null;
  kind: string | null;
  target: Int | null;
  data: string | null;
  edited: Int | null;
  deleted: Int | null;
  reply: string | null;
  reactions: string | null;
}

export interface RoomRow {
  id: Int;
  kind: RoomKind;
  name: string;
  topic: string;
  created_at: Int;
  head: Int;
  members: Int;
  visibility: RoomVisibility;
  archived_at: Int | null;
}

const orNull = (v: Int | null) => (v === null ? null : Number(v));

export function toEntry(row: MessageRow): LogEntry {
  return toLogEntry({
    ...row,
    room: Number(row.room),
    seq: Number(row.seq),
    ts: Number(row.ts),
    sender: Number(row.sender),
    target: orNull(row.target),
    edited: orNull(row.edited),
    deleted: orNull(row.deleted),
  });
}

/** A row read with `kind IS NULL`: a message. */
export function toMessage(row: MessageRow): Message {
  return toEntry(row) as Message;
}

export function toRoom(row: RoomRow): RoomRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    name: row.name,
    topic: row.topic,
    createdAt: Number(row.created_at),
    head: Number(row.head),
    members: Number(row.members),
    visibility: row.visibility,
    archivedAt: orNull(row.archived_at),
  };
}

export function toUsers(rows: unknown): UserRef[] {
  return (rows as { id: Int; name: string }[]).map((r) => ({ id: Number(r.id), name: r.name }));
}
