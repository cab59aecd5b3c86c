/**
 * The conversations (rooms and DMs) a chat session holds, and which one is on screen, for any
 * client: the client says what it keeps per conversation (`make`), the book keeps them by room
 * id with their summary, unread and mention counts. A message of a room the client has not
 * taken in yet (a DM the other person opened, a room attached by one `resume`) finds its
 * conversation made from what the connection was told when it began receiving the room
 * (`summaryOf`), so nothing is buffered here: the connection's RoomTracker already keeps what
 * arrives before a room is adopted.
 */
import type { RoomSummary, UserRef, UserStatus } from "../protocol/index.ts";
import { safeName } from "./display-text.ts";
import { UnreadCounts } from "./unread-counts.ts";

/** What the book needs of a conversation; each client's own holds more (lines, items…). */
export interface HeldConversation extends UnreadCounts {
  summary: RoomSummary;
  readonly id: number;
  readonly isDm: boolean;
  /** How the conversation is named on screen ("#general", "bob"), for ordering. */
  readonly label: string;
}

/** A conversation with what the book needs; a client extends it, or keeps its lines apart. */
export class PlainConversation extends UnreadCounts implements HeldConversation {
  constructor(public summary: RoomSummary) {
    super(summary.unread, summary.mentions ?? 0);
  }

  get id(): number {
    return this.summary.id;
  }

  get isDm(): boolean {
    return this.summary.kind === "dm";
  }

  get label(): string {
    return `${this.isDm ? "@" : "#"}${safeName(this.summary.name)}`;
  }
}

export class ConversationBook<C extends HeldConversation> {
  private readonly map = new Map<number, C>();
  /** The room on screen, if any. */
  current: number | undefined;

  constructor(
    private readonly make: (summary: RoomSummary) => C,
    /** The summary the connection holds for a room it receives (Connection.summaryOf). */
    private readonly summaryOf: (room: number) => RoomSummary | undefined,
  ) {}

  get(id: number): C | undefined {
    return this.map.get(id);
  }

  values(): IterableIterator<C> {
    return this.map.values();
  }

  get shown(): C | undefined {
    return this.current === undefined ? undefined : this.map.get(this.current);
  }

  /** Lets a room go (left, kicked, banned, deleted); it is no longer on screen. */
  forget(id: number): void {
    this.map.delete(id);
    if (this.current === id) this.current = undefined;
  }

  /** Holds a room, or refreshes its summary keeping the unread count counted here. */
  track(summary: RoomSummary): C {
    const c = this.map.get(summary.id);
    if (c) {
      c.summary = { ...summary, unread: c.summary.unread };
      return c;
    }
    const made = this.make(summary);
    this.map.set(summary.id, made);
    return made;
  }

  /**
   * The conversation a message of `room` goes to: held, or made now from the connection's
   * summary of the room; undefined for a room the connection does not receive.
   */
  forRoom(room: number): C | undefined {
    const held = this.map.get(room);
    if (held) return held;
    const summary = this.summaryOf(room);
    return summary ? this.track({ ...summary }) : undefined;
  }

  /**
   * The conversation `by` places after (or before) the one on screen, in the sidebar's order
   * (rooms, then DMs, each by name), wrapping around.
   */
  neighbour(by: 1 | -1): C | undefined {
    const all = [...this.map.values()].sort(
      (a, b) => Number(a.isDm) - Number(b.isDm) || a.label.localeCompare(b.label),
    );
    if (all.length === 0) return undefined;
    const at = all.findIndex((c) => c.id === this.current);
    return all[(at + by + all.length) % all.length];
  }

  /** Records a user's presence on the DMs with them; true when something changed. */
  presence(user: UserRef, status: UserStatus): boolean {
    let changed = false;
    for (const c of this.map.values()) {
      if (c.summary.peer?.id === user.id && c.summary.peer.status !== status) {
        c.summary.peer = { ...c.summary.peer, status };
        changed = true;
      }
    }
    return changed;
  }

  /**
   * The DMs a change of keys concerns: those with its user, or every DM when the keys are one's
   * own (a new device of one's account reads all of them).
   */
  concernedBy(k: { user: { id: number }; self: boolean }): C[] {
    return [...this.map.values()].filter(
      (c) => c.isDm && (k.self || c.summary.peer?.id === k.user.id),
    );
  }

  /** Unread messages over all conversations that count them (muted ones do not). */
  totalUnread(counts: (c: C) => boolean = () => true): number {
    let n = 0;
    for (const c of this.map.values()) if (counts(c)) n += c.unread;
    return n;
  }
}
