/**
 * Every conversation the web client holds, and which one is on screen. Messages of a room not
 * held yet wait here: a DM opened by the other person can replay before `dm_opened`, and a
 * room attached by one `resume` may deliver before its summary is taken in. Plain state.
 */
import type { Message, RoomEvent, RoomSummary, UserRef, UserStatus } from "../protocol/index.ts";
import { Conversation } from "./conversation.ts";
import type { SealedKind } from "./sealed-kind.ts";

/** Messages kept per room not held yet. */
const EARLY_MAX = 1000;

/** A message (or a room's own event, kept in its place among them) of a room not held yet. */
export type Early = [Message | RoomEvent, SealedKind | undefined];

export class Conversations {
  private readonly map = new Map<number, Conversation>();
  private readonly early = new Map<number, Early[]>();
  /** The room on screen, if any. */
  current: number | undefined;

  get(id: number): Conversation | undefined {
    return this.map.get(id);
  }

  values(): IterableIterator<Conversation> {
    return this.map.values();
  }

  /** Lets a room go (left, kicked, banned, deleted); it is no longer on screen. */
  forget(id: number): void {
    this.map.delete(id);
    if (this.current === id) this.current = undefined;
  }

  get shown(): Conversation | undefined {
    return this.current === undefined ? undefined : this.map.get(this.current);
  }

  /**
   * Holds a room (or refreshes its summary, keeping the unread count counted here); returns it
   * with the messages that arrived for it before, to be taken in now.
   */
  track(summary: RoomSummary): { c: Conversation; early: Early[] } {
    let c = this.map.get(summary.id);
    if (c) {
      c.summary = { ...summary, unread: c.summary.unread };
      return { c, early: [] };
    }
    c = new Conversation(summary);
    this.map.set(summary.id, c);
    const early = this.early.get(summary.id) ?? [];
    this.early.delete(summary.id);
    return { c, early };
  }

  /** Keeps a message (or room event) of a room not held yet; false when the room is held. */
  keepEarly(m: Message | RoomEvent, sealed: SealedKind | undefined): boolean {
    if (this.map.has(m.room)) return false;
    const early = this.early.get(m.room) ?? [];
    if (early.length < EARLY_MAX) early.push([m, sealed]);
    this.early.set(m.room, early);
    return true;
  }

  /**
   * The conversation `by` places after (or before) the one on screen, in the sidebar's order
   * (rooms, then DMs, each by name), wrapping around.
   */
  neighbour(by: 1 | -1): Conversation | undefined {
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

  /** Unread messages over all conversations that count them (muted ones do not). */
  totalUnread(counts: (c: Conversation) => boolean = () => true): number {
    let n = 0;
    for (const c of this.map.values()) if (counts(c)) n += c.unread;
    return n;
  }
}
