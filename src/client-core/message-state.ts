/**
 * A message's state on a client as events arrive: an edit replaces the text, a delete empties
 * it, a reaction adds or takes back one user's emoji. Each event sets state, so applying one
 * twice changes nothing. Shared by both clients. Sealed (DM) events are opened by the caller
 * first and passed with their content.
 */
import type { Envelope } from "../crypto/index.ts";
import {
  type Message,
  REPLY_EXCERPT_MAX,
  type Reaction,
  type RoomEvent,
  type UserRef,
} from "../protocol/index.ts";

/** A change asked of a message (Connection.change): an edit, a delete or a reaction. */
export interface ChangeRequest {
  kind: "edit" | "delete" | "react";
  target: number;
  body?: string;
  emoji?: string;
  on?: boolean;
  envelope?: Envelope;
}

/** An event's content: from the event itself, or (a DM) from its opened envelope. */
export interface EventContent {
  body?: string | undefined;
  emoji?: string | undefined;
  on?: boolean | undefined;
}

/** The message after the event; the same object when the event does not change it. */
export function applyEvent(m: Message, e: RoomEvent, content: EventContent = e): Message {
  switch (e.kind) {
    case "edit":
      // Only the author edits (the server refuses others; a sealed edit is checked here too).
      if (m.deleted || content.body === undefined || e.from.id !== m.from.id) return m;
      return { ...m, body: content.body, edited: e.ts };
    case "delete": {
      const { envelope: _e, file: _f, reactions: _r, ...rest } = m;
      return { ...rest, body: "", deleted: true };
    }
    case "react": {
      if (m.deleted || content.emoji === undefined) return m;
      const { reactions: _, ...rest } = m;
      const after = reactionsAfter(m.reactions, content.emoji, e.from, content.on ?? true);
      return after ? { ...rest, reactions: after } : rest;
    }
    default:
      // A kind this client does not know (added later): nothing to show on the message.
      return m;
  }
}

function reactionsAfter(
  now: readonly Reaction[] | undefined,
  emoji: string,
  user: UserRef,
  on: boolean,
): Reaction[] | undefined {
  const list = (now ?? []).map((r) => ({ ...r, users: [...r.users] }));
  let r = list.find((x) => x.emoji === emoji);
  const has = r?.users.some((u) => u.id === user.id) ?? false;
  if (on && !has) {
    if (!r) {
      r = { emoji, count: 0, users: [] };
      list.push(r);
    }
    r.users.push(user);
    r.count++;
  } else if (!on && r && has) {
    r.users = r.users.filter((u) => u.id !== user.id);
    r.count--;
  }
  const kept = list.filter((x) => x.count > 0);
  return kept.length > 0 ? kept : undefined;
}

/** Whether `user` has reacted to the message with `emoji` (to toggle it). */
export function hasReacted(m: Message, emoji: string, user: number): boolean {
  return m.reactions?.some((r) => r.emoji === emoji && r.users.some((u) => u.id === user)) ?? false;
}

/**
 * A DM reply's quote: the server cannot read the original, so its excerpt is ""; the client
 * quotes the original from what it shows, when it holds it.
 */
export function withQuote(m: Message, original: Message | undefined): Message {
  const r = m.reply;
  if (r?.excerpt !== "" || r.deleted || !original || original.deleted) return m;
  if (original.seq !== r.seq || original.body === "") return m;
  return { ...m, reply: { ...r, excerpt: original.body.slice(0, REPLY_EXCERPT_MAX) } };
}
