/**
 * The PostgreSQL append's events and replies: reading the target under the room's lock, and
 * applying an event to it (an edit, an erasure, a reaction) in the append's transaction.
 */
import type { SQL } from "bun";
import {
  type Message,
  REACTIONS_PER_MESSAGE_MAX,
  REPLY_EXCERPT_MAX,
  type RoomEvent,
} from "../src/protocol/index.ts";
import { withRoomFields } from "./log-entry.ts";
import type { AppendRefusal, AppendRequest } from "./store.ts";
import type { Pool } from "./store-postgres-pool.ts";
import { type MessageRow, toMessage } from "./store-postgres-rows.ts";

/** The event's effect on its target, or why it is refused (before anything is written). */
export async function applyEvent(tx: SQL, req: AppendRequest): Promise<AppendRefusal | undefined> {
  const change = req.event as NonNullable<AppendRequest["event"]>;
  const target = change.target;
  if (target === undefined) return undefined;
  const [t] = await tx`
    SELECT kind, deleted_at FROM messages WHERE room_id = ${req.room} AND seq = ${target}`;
  if (!t || t.kind !== null) return "MESSAGE_NOT_FOUND";
  if (t.deleted_at !== null) return "MESSAGE_DELETED";
  switch (change.kind) {
    case "edit":
      await tx`UPDATE messages SET body = ${req.body}, edited_at = ${req.ts}
               WHERE room_id = ${req.room} AND seq = ${target}`;
      return undefined;
    case "delete":
      // Erasure: the text, the file, the earlier edits' texts and sealed reactions, the
      // reactions; the rows stay, so seqs stay gapless.
      await Promise.all([
        tx`UPDATE messages SET body = '', file = NULL, deleted_at = ${req.ts}
           WHERE room_id = ${req.room} AND seq = ${target}`,
        tx`UPDATE messages SET body = '' WHERE room_id = ${req.room} AND target = ${target}
             AND (kind = 'edit' OR (kind = 'react' AND sealed))`,
        tx`DELETE FROM reactions WHERE room_id = ${req.room} AND seq = ${target}`,
      ]);
      return undefined;
    case "react": {
      if (req.sealed) return undefined;
      if (change.on === false) {
        await tx`DELETE FROM reactions WHERE room_id = ${req.room} AND seq = ${target}
                   AND emoji = ${req.body} AND user_id = ${req.sender.id}`;
        return undefined;
      }
      const [now] = await tx`
        SELECT count(DISTINCT emoji)::int AS n, coalesce(bool_or(emoji = ${req.body}), false) AS has
        FROM reactions WHERE room_id = ${req.room} AND seq = ${target}`;
      if (!now.has && now.n >= REACTIONS_PER_MESSAGE_MAX) return "TOO_MANY_REACTIONS";
      await tx`INSERT INTO reactions (room_id, seq, emoji, user_id, created_at)
               VALUES (${req.room}, ${target}, ${req.body}, ${req.sender.id}, ${req.ts})
               ON CONFLICT DO NOTHING`;
      return undefined;
    }
  }
}

/** The event an accepted request becomes, at `seq`. */
export function eventOf(req: AppendRequest, seq: number): RoomEvent {
  const change = req.event as NonNullable<AppendRequest["event"]>;
  const event: RoomEvent = {
    room: req.room,
    seq,
    ts: req.ts,
    from: req.sender,
    cid: req.cid,
    kind: change.kind,
  };
  if (change.target !== undefined) event.target = change.target;
  if (req.sealed) {
    if (change.kind !== "delete") event.envelope = JSON.parse(req.body);
  } else if (change.kind === "edit") event.body = req.body;
  else if (change.kind === "react") event.emoji = req.body;
  if (change.on !== undefined) event.on = change.on;
  withRoomFields(event, req.sealed ? "" : req.body, change.user);
  return event;
}

/** A reply's quote of its original, or null when the original is not a message of the room. */
export async function quoteFor(
  tx: SQL,
  pool: Pool,
  req: AppendRequest,
): Promise<Message["reply"] | null> {
  const [row] = await tx`
    SELECT ${pool.messages} FROM messages m JOIN users u ON u.id = m.sender_id
    WHERE m.room_id = ${req.room} AND m.seq = ${req.reply ?? 0} AND m.kind IS NULL`;
  if (!row) return null;
  const original = toMessage(row as MessageRow);
  const quote: NonNullable<Message["reply"]> = {
    seq: original.seq,
    from: original.from,
    excerpt: original.body.slice(0, REPLY_EXCERPT_MAX),
  };
  if (original.deleted) quote.deleted = true;
  return quote;
}
