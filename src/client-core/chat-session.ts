/**
 * A user's chat, headless: what both clients (the terminal's src/client/, the browser's
 * src/web/) hold about it besides their views. The conversations the user has and which one is
 * on screen (conversation-book.ts); their unread and mention counts, and the rule that counts
 * them; who is typing where, and this user's own typing notices; how far each room is read;
 * the sends still pending; which DMs a key change concerns. Views read it and call it; it
 * draws nothing.
 */
import type { RoomSummary, UserRef } from "../protocol/index.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Connection } from "./connection.ts";
import { ConversationBook, type HeldConversation } from "./conversation-book.ts";
import type { KeyChange } from "./key-directory.ts";
import type { OutboxItem } from "./outbox.ts";
import { ReadMarker } from "./read-marker.ts";
import { TypingIndicator, TypingSender } from "./typing-indicator.ts";

export { type HeldConversation, PlainConversation } from "./conversation-book.ts";

export interface ChatSessionOptions<C extends HeldConversation> {
  conn: Connection;
  /** What the client keeps per conversation, made from the room's summary. */
  make(summary: RoomSummary): C;
  clock?: Clock;
}

export class ChatSession<C extends HeldConversation> {
  readonly conn: Connection;
  readonly conversations: ConversationBook<C>;
  /** How far each room was read, told to the server (so counts agree on every device). */
  readonly reads: ReadMarker;
  private readonly typingShown = new TypingIndicator();
  private readonly typingSent: TypingSender;
  private readonly clock: Clock;

  constructor(o: ChatSessionOptions<C>) {
    this.conn = o.conn;
    this.clock = o.clock ?? systemClock;
    this.conversations = new ConversationBook(o.make, (room) => o.conn.summaryOf(room));
    this.typingSent = new TypingSender((room) => o.conn.notify({ type: "typing", room }));
    this.reads = new ReadMarker(
      (room, seq) => o.conn.notify({ type: "read", room, seq }),
      this.clock,
    );
  }

  /** Whether a room is a DM (SecureDm opens and reports its messages, not the connection). */
  isDm(room: number): boolean {
    const held = this.conversations.get(room);
    if (held) return held.isDm;
    return this.conn.summaryOf(room)?.kind === "dm";
  }

  /**
   * Lists the user's rooms and DMs, holds the joined ones (`onListed` then, before any of their
   * messages arrive) and attaches them all with one `resume` from their newest `recent`
   * messages: two requests however many rooms. Resolves with the rooms held ([] if stopped).
   */
  async load(recent: number, onListed?: (rooms: RoomSummary[]) => void): Promise<RoomSummary[]> {
    let rooms: RoomSummary[];
    try {
      rooms = (await this.conn.listRooms()).filter((r) => r.joined);
    } catch {
      return []; // stopped: the status says why
    }
    for (const r of rooms) this.conversations.track(r);
    onListed?.(rooms);
    try {
      await this.conn.attachAll(rooms, { recent });
    } catch {
      // Stopped meanwhile: the status says why. Refused rooms stay listed, unattached.
    }
    return rooms;
  }

  /** Joins, creates or opens a conversation on purpose: held, with nothing in it as news. */
  async attach(run: () => Promise<RoomSummary>): Promise<C> {
    const c = this.conversations.track(await run());
    c.unread = 0; // no badge, and no "New" divider
    return c;
  }

  // ---- Counts ----

  /**
   * The counting rule for a message that reached its conversation: news (from someone else,
   * newer than the summary the conversation was taken in with, whose unread count already
   * holds the replayed ones, and not `seen` on screen) counts as unread, and as a mention too
   * when it `mention`s the reader. The conversation's head follows. True when it counted.
   */
  arrived(
    c: C,
    m: { seq: number; from: { id: number } },
    o: { me: number; seen: boolean; mention: boolean },
  ): boolean {
    this.typingShown.stopped(c.id, m.from.id);
    const news = m.from.id !== o.me && !o.seen && m.seq > c.summary.head;
    if (news) c.countUnread(m.seq, o.mention);
    c.summary.head = Math.max(c.summary.head, m.seq);
    return news;
  }

  /** A message of `c` was deleted: if it was counted unread here, it is not any more. */
  deleted(c: C, seq: number): boolean {
    return c.uncount(seq);
  }

  /** The reader saw `c` up to `lastSeq`: told to the server; true when its counts changed. */
  read(c: C, lastSeq: number | undefined): boolean {
    if (lastSeq !== undefined) this.reads.shown(c.id, lastSeq);
    if (c.unread === 0 && c.mentions === 0) return false;
    c.clearUnread();
    return true;
  }

  // ---- Typing ----

  /** Someone typed in `room` (a `typing` push); one's own notices are not shown. */
  typingIn(room: number, user: UserRef, me: number | undefined): boolean {
    if (user.id === me) return false;
    this.typingShown.typing(room, user, this.clock.now());
    return true;
  }

  /** `userId` sent a message in `room`, left it or went offline: no longer typing. */
  stoppedTyping(room: number, userId: number): void {
    this.typingShown.stopped(room, userId);
  }

  /** Names typing in `room` now, in the order they started. */
  typing(room: number): string[] {
    return this.typingShown.who(room, this.clock.now());
  }

  /** When the next typing notice runs out (to redraw then), if any is shown. */
  nextTypingExpiry(): number | undefined {
    return this.typingShown.nextExpiry();
  }

  /** This user typed in `room`: the others hear of it, at most once every 3 s. */
  keystroke(room: number): void {
    this.typingSent.keystroke(room, this.clock.now());
  }

  /** This user sent a message in `room`: the next keystroke is reported again at once. */
  sent(room: number): void {
    this.typingSent.sent(room);
  }

  // ---- Pending sends and keys ----

  /** Messages typed and not yet acknowledged, oldest first; in one room if given. */
  pending(room?: number): readonly OutboxItem[] {
    const all = this.conn.pending();
    return room === undefined ? all : all.filter((i) => i.room === room);
  }

  /** The DMs a key change concerns: those with its user, or every DM for one's own keys. */
  concernedBy(k: KeyChange): C[] {
    return this.conversations.concernedBy(k);
  }

  close(): void {
    this.reads.close();
  }
}
