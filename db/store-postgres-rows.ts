/**
 * The PostgreSQL store's row shapes: the column lists its queries select, and the mapping of
 * each row to the records the Store interface returns.
 */
import type { Message, RoomKind, UserRef } from "../src/protocol/index.ts";
import type { RoomRecord, RoomVisibility } from "./store.ts";

export const ROOM_COLUMNS = `r.id, r.kind, r.name, r.topic, r.created_at, r.last_seq AS head,
  r.member_count AS members, CASE WHEN r.kind = 'dm' THEN 'private' ELSE r.visibility END AS visibility`;
export const MESSAGE_COLUMNS =
  "m.room_id AS room, m.seq, m.ts, m.sender_id AS sender, u.name, m.client_id AS cid, m.body, m.sealed, m.file";

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
}

export function toMessage(row: MessageRow): Message {
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
  };
}

export function toUsers(rows: unknown): UserRef[] {
  return (rows as { id: Int; name: string }[]).map((r) => ({ id: Number(r.id), name: r.name }));
}
