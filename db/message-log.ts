/**
 * The message log: each room's ordered log of messages and events (edits, reactions,
 * deletions, room events), appended in batches with seqs given in the database, read in pages,
 * and searched.
 */
import type {
  EventKind,
  Message,
  MessageFile,
  RoomEvent,
  SearchHit,
  UserRef,
} from "../src/protocol/index.ts";
import type { LogEntry } from "./log-entry.ts";

export interface AppendRequest {
  room: number;
  sender: UserRef;
  cid: string;
  /** The text, or for a sealed (end-to-end encrypted) message its envelope as JSON. */
  body: string;
  /** True when body is an envelope. @default false */
  sealed?: boolean;
  /** The file the message shares (public rooms only); stored with it as it was then. */
  file?: MessageFile | undefined;
  /** The seq of the message in the same room this one replies to. */
  reply?: number | undefined;
  /**
   * Makes this an event of the room's log rather than a message: `body` is then the edit's new
   * text, a reaction's emoji, "" for a delete, or (sealed) the envelope of the change.
   */
  event?: EventChange | undefined;
  ts: number;
}

/** What an event does, as the store applies it in the append's transaction. */
export interface EventChange {
  kind: EventKind;
  /** The message it changes. */
  target?: number | undefined;
  /** react: added (true) or taken back (false). */
  on?: boolean | undefined;
  /** kick, ban, role: the member acted on (kept in the row's data). */
  user?: UserRef | undefined;
}

/** Why an append stored nothing for one request. */
export type AppendRefusal =
  | "NOT_MEMBER"
  | "ROOM_NOT_FOUND"
  | "MESSAGE_NOT_FOUND"
  | "MESSAGE_DELETED"
  | "TOO_MANY_REACTIONS"
  | "REPLY_NOT_FOUND"
  | "MUTED"
  | "ROOM_ARCHIVED";

export type AppendResult =
  | { ok: true; message: Message; event?: undefined; duplicate: boolean }
  | { ok: true; event: RoomEvent; message?: undefined; duplicate: boolean }
  | { ok: false; code: AppendRefusal };

/** A search of the public rooms a user is a member of, newest first. */
export interface SearchQuery {
  /** Words (searchTerms): every one must match, each as a prefix. At least one. */
  terms: readonly string[];
  /** Only this room. */
  room?: number | undefined;
  /** Only hits older than this one (the last hit of the page before). */
  before?: { ts: number; room: number; seq: number } | undefined;
  limit: number;
}

export interface MessageLog {
  /**
   * Stores a batch in one transaction and resolves only after it is durable. Each room's seq is
   * assigned atomically; a request whose (sender, cid) is already stored returns the original
   * message (or event) with duplicate: true and stores nothing. An event is applied to its
   * target in the same transaction: an edit replaces the text, a delete erases the text (and
   * the text of the edits before it, the file and the reactions), a reaction is added or taken
   * back. Rejects when nothing could be stored.
   */
  append(batch: readonly AppendRequest[]): Promise<AppendResult[]>;
  /** Up to `limit` messages with seq > after, oldest first, each in its current state. */
  messagesAfter(roomId: number, after: number, limit: number): Promise<Message[]>;
  /** Up to `limit` messages with seq < before, the newest of them, oldest first. */
  messagesBefore(roomId: number, before: number, limit: number): Promise<Message[]>;
  /** Up to `limit` log entries (messages in their current state, and events) with seq > after. */
  logAfter(roomId: number, after: number, limit: number): Promise<LogEntry[]>;
  /** Up to `limit` log entries with seq < before, the newest of them, oldest first. */
  logBefore(roomId: number, before: number, limit: number): Promise<LogEntry[]>;
  /** The message (not an event) at seq in the room, in its current state. */
  findMessage(roomId: number, seq: number): Promise<Message | undefined>;
  /**
   * Messages of the public rooms `userId` is a member of that match every term, newest first
   * (by ts, then room, then seq), with a plain-text snippet. Deleted messages never match, and
   * an edited one matches its current text only. DMs are sealed: never searched.
   */
  search(userId: number, q: SearchQuery): Promise<SearchHit[]>;
}
