/**
 * Who is here: each user's sockets on this node, the rooms they belong to, online counts per
 * room, and each user's status. A user is online while any socket is online, away while every
 * socket is away, offline with none.
 *
 * Status changes are told to the listeners (chat, which announces them to the user's rooms),
 * coalesced: going offline waits out a grace period, so a reconnect (a network blip, a page
 * reload) announces nothing at all.
 *
 * With several nodes, each reports its own view to a SharedPresence (Redis) and a change is
 * announced only when the user's status across all nodes changes: closing the laptop's socket
 * on node A says nothing while the phone is still connected to node B.
 */
import type { UserRef, UserStatus } from "../protocol/index.ts";

/** Anything with a user and an away flag: the server's sockets, in practice. */
export interface PresenceSocket {
  readonly data: { readonly user: UserRef; readonly presence: { away: boolean } };
}

export type Announce = (user: UserRef, status: UserStatus, rooms: readonly number[]) => void;

/** Presence across nodes: every node reports its own view; answers cover all live nodes. */
export interface SharedPresence {
  /**
   * Records this node's status for the user ("offline": no socket here any more) and returns
   * the user's status across all nodes just before and just after.
   */
  report(userId: number, here: UserStatus): Promise<{ before: UserStatus; after: UserStatus }>;
  /** This node's count of a room's online members. */
  reportOnline(room: number, count: number): void;
  statuses(userIds: readonly number[]): Promise<Map<number, UserStatus>>;
  onlineCounts(rooms: readonly number[]): Promise<Map<number, number>>;
  close(): Promise<void>;
}

interface UserPresence<S> {
  user: UserRef;
  sockets: Set<S>;
  rooms: Set<number>;
  /** What was last reported: to the rooms, or to the shared presence. */
  reported: UserStatus;
  offlineTimer: ReturnType<typeof setTimeout> | undefined;
}

export interface PresenceOptions {
  /** Set when several nodes share presence. */
  shared?: SharedPresence;
  /** How long a user with no socket stays "online" to the others. @default 5000 */
  offlineGraceMs?: number;
  onError?: (err: unknown) => void;
}

export class Presence<S extends PresenceSocket> {
  private readonly users = new Map<number, UserPresence<S>>();
  private readonly roomOnline = new Map<number, number>();
  private readonly graceMs: number;
  private readonly listeners: Announce[] = [];

  constructor(private readonly o: PresenceOptions) {
    this.graceMs = o.offlineGraceMs ?? 5000;
  }

  /** Hears every status change worth announcing, with the user's rooms at that moment. */
  onChange(listener: Announce): void {
    this.listeners.push(listener);
  }

  /** A user another node lost (it died): offline everywhere now, and this node tells them. */
  lost(user: UserRef, rooms: readonly number[]): void {
    this.announce(user, "offline", rooms);
  }

  private announce(user: UserRef, status: UserStatus, rooms: readonly number[]): void {
    for (const listener of this.listeners) listener(user, status, rooms);
  }

  /** Whether the user, connected here, is in the room as far as this node knows: a hint only. */
  inRoom(userId: number, room: number): boolean {
    return this.users.get(userId)?.rooms.has(room) === true;
  }

  connected(socket: S, memberships: readonly number[]): void {
    const user = socket.data.user;
    let p = this.users.get(user.id);
    if (!p) {
      p = {
        user,
        sockets: new Set(),
        rooms: new Set(memberships),
        reported: "offline",
        offlineTimer: undefined,
      };
      this.users.set(user.id, p);
    }
    if (p.sockets.size === 0) for (const room of p.rooms) this.bump(room, 1);
    p.sockets.add(socket);
    this.changed(p);
  }

  disconnected(socket: S): void {
    const p = this.users.get(socket.data.user.id);
    if (!p?.sockets.delete(socket)) return;
    if (p.sockets.size === 0) for (const room of p.rooms) this.bump(room, -1);
    this.changed(p);
  }

  setAway(socket: S, away: boolean): void {
    socket.data.presence.away = away;
    const p = this.users.get(socket.data.user.id);
    if (p) this.changed(p);
  }

  memberJoined(userId: number, room: number): void {
    const p = this.users.get(userId);
    if (!p || p.rooms.has(room)) return;
    p.rooms.add(room);
    if (p.sockets.size > 0) this.bump(room, 1);
  }

  memberLeft(userId: number, room: number): void {
    const p = this.users.get(userId);
    if (!p?.rooms.delete(room)) return;
    if (p.sockets.size > 0) this.bump(room, -1);
  }

  /** The user's status on this node alone. */
  status(userId: number): UserStatus {
    const p = this.users.get(userId);
    if (!p || p.sockets.size === 0) return "offline";
    for (const s of p.sockets) if (!s.data.presence.away) return "online";
    return "away";
  }

  /** Members of the room with at least one socket open, on this node. */
  online(room: number): number {
    return this.roomOnline.get(room) ?? 0;
  }

  /** Users' statuses across every node (this node's view alone if the shared one fails). */
  async statuses(userIds: readonly number[]): Promise<Map<number, UserStatus>> {
    if (this.o.shared && userIds.length > 0) {
      try {
        return await this.o.shared.statuses(userIds);
      } catch (err) {
        this.o.onError?.(err);
      }
    }
    return new Map(userIds.map((id) => [id, this.announced(id)]));
  }

  /**
   * The user's status as last announced to their rooms. Listings answer with it, not with the
   * sockets open this instant: a user reloading the page is still online to the others during
   * the grace period, and their return announces nothing, so a listing that said "offline"
   * then would never be corrected.
   */
  private announced(userId: number): UserStatus {
    return this.users.get(userId)?.reported ?? "offline";
  }

  /** Rooms' online member counts across every node (this node's alone if the shared fails). */
  async onlineCounts(rooms: readonly number[]): Promise<Map<number, number>> {
    if (this.o.shared && rooms.length > 0) {
      try {
        return await this.o.shared.onlineCounts(rooms);
      } catch (err) {
        this.o.onError?.(err);
      }
    }
    return new Map(rooms.map((room) => [room, this.online(room)]));
  }

  /** This node's view as last reported, for a shared presence that lost it. */
  snapshot(): { users: [number, UserStatus][]; rooms: [number, number][] } {
    const users: [number, UserStatus][] = [];
    for (const [id, p] of this.users) if (p.reported !== "offline") users.push([id, p.reported]);
    return { users, rooms: [...this.roomOnline] };
  }

  sockets(userId: number): readonly S[] {
    return [...(this.users.get(userId)?.sockets ?? [])];
  }

  everyone(): S[] {
    const all: S[] = [];
    for (const p of this.users.values()) all.push(...p.sockets);
    return all;
  }

  /** Users with at least one socket on this node. */
  get usersOnline(): number {
    let n = 0;
    for (const p of this.users.values()) if (p.sockets.size > 0) n++;
    return n;
  }

  get connections(): number {
    let n = 0;
    for (const p of this.users.values()) n += p.sockets.size;
    return n;
  }

  private bump(room: number, by: number): void {
    const n = (this.roomOnline.get(room) ?? 0) + by;
    if (n <= 0) this.roomOnline.delete(room);
    else this.roomOnline.set(room, n);
    this.o.shared?.reportOnline(room, Math.max(0, n));
  }

  private changed(p: UserPresence<S>): void {
    const now = this.status(p.user.id);
    if (p.offlineTimer !== undefined) {
      clearTimeout(p.offlineTimer);
      p.offlineTimer = undefined;
    }
    if (now === p.reported) {
      this.forgetIfGone(p);
      return;
    }
    if (now !== "offline") {
      this.report(p, now);
      return;
    }
    p.offlineTimer = setTimeout(() => {
      p.offlineTimer = undefined;
      if (this.status(p.user.id) === "offline") this.report(p, "offline");
      this.forgetIfGone(p);
    }, this.graceMs);
    p.offlineTimer.unref?.();
  }

  /** Tells the rooms, or with several nodes tells the others and the rooms if the sum changed. */
  private report(p: UserPresence<S>, status: UserStatus): void {
    p.reported = status;
    const rooms = [...p.rooms];
    const shared = this.o.shared;
    if (!shared) {
      this.announce(p.user, status, rooms);
      return;
    }
    shared.report(p.user.id, status).then(
      ({ before, after }) => {
        if (before !== after) this.announce(p.user, after, rooms);
      },
      (err) => this.o.onError?.(err),
    );
  }

  private forgetIfGone(p: UserPresence<S>): void {
    if (p.sockets.size === 0 && p.offlineTimer === undefined && p.reported === "offline") {
      this.users.delete(p.user.id);
    }
  }
}
