/**
 * A row of the room log (a message in its current state, or an event) as both stores read it,
 * and its mapping to the wire's Message or RoomEvent. The stores select the same columns
 * (LOG_COLUMNS_* in each backend) so one mapping serves both.
 */
import {
  type EventKind,
  type LogEntry,
  type Message,
  type Reaction,
  type ReplyQuote,
  ROOM_EVENT_KINDS,
  type RoomEvent,
  type UserRef,
} from "../src/protocol/index.ts";

export type { LogEntry } from "../src/protocol/index.ts";
export { entryFrame, isEvent } from "../src/protocol/index.ts";

/** True for the server's own room events (join, leave, kick, …), which an archived room still takes. */
export function isRoomEvent(req: { event?: { kind: EventKind } | undefined }): boolean {
  return req.event !== undefined && ROOM_EVENT_KINDS.has(req.event.kind);
}

/** Numbers as numbers; `reply` and `reactions` as JSON text (or null). */
export interface LogRow {
  room: number;
  seq: number;
  ts: number;
  sender: number;
  name: string;
  cid: string;
  body: string;
  sealed: boolean;
  file: string | null;
  kind: string | null;
  target: number | null;
  data: string | null;
  edited: number | null;
  deleted: number | null;
  /** JSON {seq, id, name, body, deleted} of the message replied to. */
  reply: string | null;
  /** JSON [[emoji, userId, userName], ...] in the order they were added. */
  reactions: string | null;
}

export function toLogEntry(row: LogRow): LogEntry {
  const from = { id: row.sender, name: row.name };
  if (row.kind !== null) return toEvent(row, from);
  const m: Message = { room: row.room, seq: row.seq, ts: row.ts, from, cid: row.cid, body: "" };
  if (row.deleted !== null) {
    m.deleted = true;
  } else {
    if (row.sealed) m.envelope = JSON.parse(row.body);
    else m.body = row.body;
    if (row.file !== null) m.file = JSON.parse(row.file);
  }
  if (row.edited !== null) m.edited = row.edited;
  if (row.reply !== null) m.reply = toQuote(JSON.parse(row.reply));
  if (row.reactions !== null) {
    const reactions = toReactions(JSON.parse(row.reactions));
    if (reactions.length > 0) m.reactions = reactions;
  }
  return m;
}

function toEvent(row: LogRow, from: UserRef): RoomEvent {
  const e: RoomEvent = {
    room: row.room,
    seq: row.seq,
    ts: row.ts,
    from,
    cid: row.cid,
    kind: row.kind as EventKind,
  };
  if (row.target !== null) e.target = row.target;
  const data = row.data === null ? {} : (JSON.parse(row.data) as { on?: boolean; user?: UserRef });
  if (row.sealed) {
    // An erased event (its message was deleted) keeps no ciphertext.
    if (row.body !== "") e.envelope = JSON.parse(row.body);
  } else if (e.kind === "edit") {
    e.body = row.body;
  } else if (e.kind === "react") {
    e.emoji = row.body;
  }
  if (data.on !== undefined) e.on = data.on;
  withRoomFields(e, row.body, data.user);
  return e;
}

/** A room event's own fields: the member acted on, and its text (topic, role, reason). */
export function withRoomFields(e: RoomEvent, body: string, user: UserRef | undefined): void {
  if (!ROOM_EVENT_KINDS.has(e.kind)) return;
  if (user) e.user = { id: Number(user.id), name: user.name };
  if (body !== "") e.body = body;
}

/** What an event keeps in its row's data column (JSON), or null when nothing. */
export function eventData(change: {
  on?: boolean | undefined;
  user?: UserRef | undefined;
}): string | null {
  if (change.on === undefined && change.user === undefined) return null;
  return JSON.stringify({
    ...(change.on !== undefined ? { on: change.on } : {}),
    ...(change.user ? { user: change.user } : {}),
  });
}

function toQuote(q: {
  seq: number;
  id: number;
  name: string;
  body: string;
  deleted: number | boolean | null;
}): ReplyQuote {
  const quote: ReplyQuote = {
    seq: Number(q.seq),
    from: { id: Number(q.id), name: q.name },
    excerpt: q.body,
  };
  if (q.deleted) quote.deleted = true;
  return quote;
}

function toReactions(rows: [string, number, string][]): Reaction[] {
  const byEmoji = new Map<string, Reaction>();
  for (const [emoji, id, name] of rows) {
    const r = byEmoji.get(emoji);
    const user = { id: Number(id), name };
    if (r) {
      r.count++;
      r.users.push(user);
    } else byEmoji.set(emoji, { emoji, count: 1, users: [user] });
  }
  return [...byEmoji.values()];
}
