/**
 * One conversation (a room or a DM) as the web client holds it: its summary, what is shown
 * (messages in seq order and join/leave notices where they happened), messages still pending,
 * and its unread counts (the session's, src/client-core/unread-counts.ts). Plain state; the
 * views read it.
 */

import { PlainConversation } from "../client-core/conversation-book.ts";
import { safeName } from "../client-core/display-text.ts";
import { applyEvent, type EventContent, withQuote } from "../client-core/message-state.ts";
import { roomEventText } from "../client-core/room-event-text.ts";
import type { Message, RoomEvent, UserStatus } from "../protocol/index.ts";
import type { SealedKind } from "./sealed-kind.ts";

export type Item =
  /** `sealed`: a DM that cannot be shown as text (its body is empty). */
  | { kind: "message"; message: Message; sealed?: SealedKind | undefined }
  /** `seq`: a room's own event (a join, a kick…), in its place in the log. */
  | { kind: "notice"; ts: number; text: string; alert?: boolean; seq?: number };

/** A message typed here and not yet acknowledged, or refused for good. */
export interface Pending {
  cid: string;
  body: string;
  ts: number;
  /** "uploading": a shared file's bytes are still on their way, before the send. */
  state: "uploading" | "pending" | "failed";
  error?: string;
  /** A DM waiting until a key change is accepted: shown as waiting, not as failed. */
  held?: boolean;
  /** A file being shared (a public room): what its card shows until the message is stored. */
  file?: { name: string; size: number; type: string };
  /** The file picked, kept so a failed upload can be retried. */
  source?: File;
}

/** A place in a conversation's list: the first message in view, `offset` px above its top. */
export interface ScrollAnchor {
  seq: number;
  offset: number;
}

/** The session's conversation (summary, unread and mention counts) with what the browser shows. */
export class Conversation extends PlainConversation {
  readonly items: Item[] = [];
  readonly pending: Pending[] = [];
  /** Older history exists before the first message shown. */
  hasOlder = false;
  loadingOlder = false;
  /** The first unread message when the conversation was opened: "New" is shown before it. */
  dividerSeq: number | undefined;
  /** Where the reader left it (MessageList.position()), restored when it is shown again. */
  scroll: ScrollAnchor | undefined;

  /** An end-to-end encrypted group (docs/e2ee.md 12): sealed like a DM, named "&crew". */
  get isGroup(): boolean {
    return this.summary.kind === "group";
  }

  /** The sidebar name: "#general", "&crew" for a group, or the DM peer's name. */
  override get label(): string {
    if (this.isDm) return safeName(this.summary.name);
    return `${this.isGroup ? "&" : "#"}${safeName(this.summary.name)}`;
  }

  /** Why nothing can be sent here, if so: an archived room is read-only. */
  get readOnly(): string | undefined {
    return this.summary.archived
      ? "This room is archived: it can be read, not written."
      : undefined;
  }

  get peerStatus(): UserStatus | undefined {
    return this.summary.peer?.status;
  }

  get firstSeq(): number | undefined {
    for (const item of this.items) if (item.kind === "message") return item.message.seq;
    return undefined;
  }

  get lastSeq(): number | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i];
      if (item?.kind === "message") return item.message.seq;
    }
    return undefined;
  }

  /** Puts the "New" divider before the first of the newest `unread` messages from others. */
  markUnread(meId: number, unread = this.unread): void {
    this.dividerSeq = undefined;
    let left = unread;
    for (let i = this.items.length - 1; i >= 0 && left > 0; i--) {
      const item = this.items[i];
      if (item?.kind !== "message" || item.message.from.id === meId) continue;
      this.dividerSeq = item.message.seq;
      left--;
    }
  }

  /** A message in seq order (the connection delivers each once, in order). */
  add(message: Message, sealed?: SealedKind): Item {
    const quoted = message.reply && this.messageAt(message.reply.seq);
    const item: Item = { kind: "message", message: withQuote(message, quoted), sealed };
    this.items.push(item);
    if (this.items.length === 1 || this.firstSeq === message.seq) this.hasOlder = message.seq > 1;
    const i = this.pending.findIndex((p) => p.cid === message.cid);
    if (i >= 0) this.pending.splice(i, 1);
    return item;
  }

  /** The message at `seq`, if it is held. */
  messageAt(seq: number): Message | undefined {
    const item = this.items.find((i) => i.kind === "message" && i.message.seq === seq);
    return item?.kind === "message" ? item.message : undefined;
  }

  /**
   * An event of the room's log: the message it changes, in its new state (if it is held), and
   * whether the unread counts changed (a delete of an unread message).
   */
  changed(e: RoomEvent, content?: EventContent): { item?: Item; counts: boolean } {
    const counts = e.kind === "delete" && e.target !== undefined && this.uncount(e.target);
    const item = this.change(e, content);
    return item ? { item, counts } : { counts };
  }

  /** An event of the room's log: the message it changes, in its new state (if it is held). */
  change(e: RoomEvent, content?: EventContent): Item | undefined {
    const item = this.items.find((i) => i.kind === "message" && i.message.seq === e.target);
    if (item?.kind !== "message") return undefined;
    const next = applyEvent(item.message, e, content ?? e);
    if (next === item.message) return undefined;
    item.message = next;
    return item;
  }

  /**
   * A room's own event (a join, a kick, a topic…), as a line where it happened; the summary
   * follows it (member count, topic, name, archived).
   */
  roomEvent(e: RoomEvent): Item {
    const s = this.summary;
    if (e.kind === "join" || e.kind === "leave") {
      s.members = Math.max(0, s.members + (e.kind === "join" ? 1 : -1));
    }
    if (e.kind === "topic") s.topic = e.body ?? "";
    if (e.kind === "rename" && e.body) s.name = e.body;
    if (e.kind === "archive" || (e.kind === "leave" && e.body === "archived")) s.archived = true;
    const item: Item = { kind: "notice", ts: e.ts, text: roomEventText(e), seq: e.seq };
    this.items.push(item);
    return item;
  }

  notice(ts: number, text: string, alert = false): Item {
    const item: Item = { kind: "notice", ts, text, alert };
    this.items.push(item);
    return item;
  }

  /** An older page from history, oldest first: it goes before everything shown. */
  prepend(
    messages: readonly Message[],
    more: boolean,
    sealed?: ReadonlyMap<number, SealedKind>,
    events: readonly RoomEvent[] = [],
  ): void {
    const first = this.firstSeq ?? Number.POSITIVE_INFINITY;
    const older = messages.filter((m) => m.seq < first);
    const items = older.map(
      (message): Item => ({ kind: "message", message, sealed: sealed?.get(message.seq) }),
    );
    const shown = new Set(this.items.map((i) => (i.kind === "notice" ? i.seq : undefined)));
    for (const e of events) {
      if (e.seq >= first || shown.has(e.seq)) continue;
      items.push({ kind: "notice", ts: e.ts, text: roomEventText(e), seq: e.seq });
    }
    const seqOf = (i: Item) => (i.kind === "message" ? i.message.seq : (i.seq ?? 0));
    this.items.unshift(...items.sort((a, b) => seqOf(a) - seqOf(b)));
    this.hasOlder = more && (this.firstSeq ?? 1) > 1;
  }
}
