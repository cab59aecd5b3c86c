/**
 * The room's event log: besides messages, a room's ordered log holds events, each with its own
 * seq and (for most kinds) the seq of the message it changes. They travel the same paths as
 * messages (append, publish, replay, resume, gap), so a client sees every change exactly once,
 * in order. A new kind of event (a join, a kick, a topic change) is a new entry in EVENT_KINDS
 * plus the optional fields it needs, not a new mechanism.
 */
import { z } from "zod";
import { envelopeSchema } from "../crypto/envelope-format.ts";
import { seq, userRef } from "./frame-fields.ts";

/**
 * Kinds about the room rather than a message: `from` acted, `user` was acted on (kick, ban,
 * unban, mute, unmute, role), and `body` is the topic, the new role ("owner", "moderator",
 * "member"), a kick's, ban's or mute's reason ("" when none), a rename's new name, "invite" on
 * a join by invitation, or "archived" on a leave that archived the room ("archive" has none), or
 * a group's signed membership version as JSON ("membership": clients check it, docs/e2ee.md 12).
 * Room membership and moderation (communities): stored by the server's own actions.
 */
const ROOM_KINDS = [
  "join",
  "leave",
  "kick",
  "ban",
  "unban",
  "mute",
  "unmute",
  "role",
  "topic",
  "rename",
  "archive",
  "membership",
] as const;

/** Kinds a member asks for with an `event` frame (others, later, come from the server's own actions). */
export const REQUESTED_KINDS = ["edit", "delete", "react"] as const;

/** Every kind of event a room's log may hold: the changes to a message, then the room's own. */
export const EVENT_KINDS = [...REQUESTED_KINDS, ...ROOM_KINDS] as const;

export const ROOM_EVENT_KINDS: ReadonlySet<EventKind> = new Set(ROOM_KINDS);
export const eventKind = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof eventKind>;

/** Distinct emoji one message may carry; past it a new emoji is TOO_MANY_REACTIONS. */
export const REACTIONS_PER_MESSAGE_MAX = 20;
/** Longest quote of the original a reply carries, in UTF-16 units. */
export const REPLY_EXCERPT_MAX = 120;

/** One emoji on a message, as a history page or a replay shows it: the count and who. */
export const reaction = z.object({
  emoji: z.string(),
  count: z.int().min(1),
  users: z.array(userRef),
});
export type Reaction = z.infer<typeof reaction>;

/** What a reply shows of the message it answers: its seq, author and the start of its text. */
export const replyQuote = z.object({
  seq,
  from: userRef,
  /** The start of the original's text; "" when it is sealed (a DM) or deleted. */
  excerpt: z.string(),
  deleted: z.boolean().optional(),
});
export type ReplyQuote = z.infer<typeof replyQuote>;

/**
 * A message's current state, beyond what it was sent with. Every field is absent on a message
 * nobody changed, so such a message costs on the wire what it did before events existed.
 */
export const messageState = {
  /** When it was last edited (its body is the latest text). */
  edited: z.int().optional(),
  /** It was deleted: body is "", and envelope and file are gone. */
  deleted: z.literal(true).optional(),
  /** Public rooms: the reactions it carries now. */
  reactions: z.array(reaction).optional(),
  /** It answers this message. */
  reply: replyQuote.optional(),
};

/** An event as stored and delivered. */
export const roomEvent = z.object({
  room: z.int().min(1),
  seq,
  ts: z.int(),
  /** Who did it. */
  from: userRef,
  cid: z.string(),
  kind: eventKind,
  /** The seq of the message it changes (every kind so far). */
  target: seq.optional(),
  /** edit: the new text (public rooms; "" once the message is deleted). */
  body: z.string().optional(),
  /** react: the emoji (public rooms). */
  emoji: z.string().optional(),
  /** react: true when added, false when taken back. */
  on: z.boolean().optional(),
  /** kick, ban, unban, mute, unmute, role: the member acted on. */
  user: userRef.optional(),
  /** DM rooms: the change itself, sealed (the new text, or the emoji and on/off). */
  envelope: envelopeSchema.optional(),
});
export type RoomEvent = z.infer<typeof roomEvent>;

/** True when the emoji is one fully-qualified emoji (with its skin tone, flags, ZWJ sequences). */
export function isEmoji(text: string): boolean {
  return text.length <= 32 && /^\p{RGI_Emoji}$/v.test(text);
}
