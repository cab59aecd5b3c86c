/**
 * The rooms (and DMs) a connection receives: for each, the last seq delivered, the messages held
 * past a hole, and the history paging that fills the hole. Messages leave here once per room,
 * in seq order. Messages of a room not tracked yet (a DM whose `dm_opened` is still on its way)
 * are kept as orphans until the room is adopted.
 */
import {
  HISTORY_PAGE_MAX,
  type LogEntry,
  type Message,
  type RoomEvent,
  type RoomKind,
  type RoomSummary,
} from "../protocol/index.ts";

/** A room this session receives, with the last seq delivered. */
export interface TrackedRoom {
  id: number;
  kind: RoomKind;
  name: string;
  last: number;
}

export interface RoomTrack {
  id: number;
  kind: RoomKind;
  name: string;
  /** The room as the server described it when it was tracked (counts and head of that moment). */
  summary: RoomSummary;
  /** The last seq delivered to listeners; undefined until the first message sets a baseline. */
  last: number | undefined;
  /** Messages that arrived ahead of a hole, waiting for the hole to be filled. */
  held: Map<number, LogEntry>;
  /** The server said the room reaches this seq: fill up to it. */
  target: number;
  filling: boolean;
}

/** What the tracker needs from its connection. */
export interface RoomTrackerHooks {
  /** A page of history on the current socket; rejects when offline. */
  history(q: {
    room: number;
    after: number;
    limit: number;
  }): Promise<{ messages: Message[]; events?: RoomEvent[] | undefined; more: boolean }>;
  /** A message or an event reached its place in seq order: pass it on. */
  deliver(m: LogEntry): void;
  /** A fill ended (closed its hole, gave up, or went offline). */
  filled(): void;
}

/** Messages kept for a room not tracked yet: a DM whose `dm_opened` is still on its way. */
const ORPHANS_PER_ROOM = 1000;
const ORPHAN_ROOMS = 50;

export class RoomTracker {
  private readonly rooms = new Map<number, RoomTrack>();
  /** Messages of rooms not tracked (yet): a DM opened elsewhere replays before `dm_opened`. */
  private readonly orphans = new Map<number, LogEntry[]>();

  constructor(private readonly hooks: RoomTrackerHooks) {}

  get(room: number): RoomTrack | undefined {
    return this.rooms.get(room);
  }

  has(room: number): boolean {
    return this.rooms.has(room);
  }

  delete(room: number): void {
    this.rooms.delete(room);
  }

  /** Rooms this session receives, with the last seq seen in each. */
  joined(): TrackedRoom[] {
    return [...this.rooms.values()].map((t) => ({
      id: t.id,
      kind: t.kind,
      name: t.name,
      last: t.last ?? 0,
    }));
  }

  /** Where to resume each room from. */
  resumePoints(): { room: number; after: number }[] {
    // A room still joining (no baseline yet) is not resumed: its join is retried instead.
    return [...this.rooms.values()]
      .filter((t) => t.last !== undefined)
      .map((t) => ({ room: t.id, after: t.last as number }));
  }

  /** True while any room is paging history into a hole. */
  get filling(): boolean {
    for (const t of this.rooms.values()) if (t.filling) return true;
    return false;
  }

  track(room: RoomSummary, last: number | undefined): RoomTrack {
    const track: RoomTrack = {
      id: room.id,
      kind: room.kind,
      name: room.name,
      summary: room,
      last,
      held: new Map(),
      target: 0,
      filling: false,
    };
    this.rooms.set(room.id, track);
    return track;
  }

  /** Tracks a room the server attached us to, taking in what arrived for it before. */
  adopt(room: RoomSummary, last: number | undefined): RoomTrack {
    const track = this.track(room, last);
    const early = this.orphans.get(room.id) ?? [];
    this.orphans.delete(room.id);
    for (const m of early) this.accept(m);
    return track;
  }

  settleTarget(track: RoomTrack, head: number): void {
    if (track.last === undefined) track.last = head;
    track.target = Math.max(track.target, head);
    if (track.last < track.target) void this.fill(track);
  }

  /** The server said a room reaches `to` (a gap frame): fill up to it. */
  gap(room: number, to: number): void {
    const track = this.rooms.get(room);
    if (track) {
      track.target = Math.max(track.target, to);
      void this.fill(track);
    }
  }

  /**
   * Every message and event passes here: duplicates are dropped, and nothing is shown out of
   * order (events share the room's seqs, so a hole may be an event).
   */
  accept(m: LogEntry): void {
    const track = this.rooms.get(m.room);
    if (!track) {
      this.keepOrphan(m);
      return;
    }
    if (track.last === undefined) track.last = m.seq - 1;
    if (m.seq <= track.last) return;
    if (m.seq > track.last + 1) {
      track.held.set(m.seq, m);
      void this.fill(track);
      return;
    }
    this.deliver(track, m);
    for (let next = track.held.get(track.last + 1); next; next = track.held.get(track.last + 1)) {
      track.held.delete(next.seq);
      this.deliver(track, next);
    }
    for (const seq of track.held.keys()) if (seq <= track.last) track.held.delete(seq);
  }

  /** The socket is gone: anything held past a hole comes again in the next resume. */
  dropHeld(): void {
    for (const t of this.rooms.values()) t.held.clear();
    this.orphans.clear();
  }

  private keepOrphan(m: LogEntry): void {
    const list = this.orphans.get(m.room);
    if (list) {
      if (list.length < ORPHANS_PER_ROOM) list.push(m);
    } else if (this.orphans.size < ORPHAN_ROOMS) {
      this.orphans.set(m.room, [m]);
    }
  }

  private deliver(track: RoomTrack, m: LogEntry): void {
    track.last = m.seq;
    this.hooks.deliver(m);
  }

  /** Pages history into a hole (a gap frame, or a seq that skipped ahead) until it is closed. */
  private async fill(track: RoomTrack): Promise<void> {
    if (track.filling) return;
    track.filling = true;
    try {
      while (
        this.rooms.get(track.id) === track &&
        track.last !== undefined &&
        (track.held.size > 0 || track.last < track.target)
      ) {
        const before = track.last;
        const page = await this.hooks.history({
          room: track.id,
          after: track.last,
          limit: HISTORY_PAGE_MAX,
        });
        // A forward page is a stretch of the log: its events fill their seqs too.
        const entries: LogEntry[] = [...page.messages, ...(page.events ?? [])];
        entries.sort((a, b) => a.seq - b.seq);
        for (const m of entries) this.accept(m);
        if (track.last === before && !page.more) {
          // The store has nothing in the hole: show what we hold rather than stall forever.
          const held = [...track.held.values()].sort((a, b) => a.seq - b.seq);
          track.held.clear();
          for (const m of held) if (m.seq > (track.last ?? 0)) this.deliver(track, m);
          track.target = Math.min(track.target, track.last ?? 0);
        }
      }
    } catch {
      // Offline: the next resume starts from the last delivered seq and fills again.
    } finally {
      track.filling = false;
      this.hooks.filled();
    }
  }
}
