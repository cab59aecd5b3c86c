/**
 * Who is here, on this node: each user's sockets, the rooms they belong to, online counts per
 * room, and each user's status. A user is online while any socket is online, away while every
 * socket is away, offline with none.
 *
 * Status changes are announced to the user's rooms, coalesced: going offline waits out a grace
 * period, so a reconnect (a network blip, a page reload) announces nothing at all.
 */
import type { UserRef, UserStatus } from "../protocol/index.ts";

/** Anything with a user and an away flag: the server's sockets, in practice. */
export interface PresenceSocket {
  readonly data: { readonly user: UserRef; away: boolean };
}

export type Announce = (user: UserRef, status: UserStatus, rooms: readonly number[]) => void;

interface UserPresence<S> {
  user: UserRef;
  sockets: Set<S>;
  rooms: Set<number>;
  /** What the rooms were last told. */
  announced: UserStatus;
  offlineTimer: ReturnType<typeof setTimeout> | undefined;
}

export interface PresenceOptions {
  announce: Announce;
  /** How long a user with no socket stays "online" to the others. @default 5000 */
  offlineGraceMs?: number;
}

export class Presence<S extends PresenceSocket> {
  private readonly users = new Map<number, UserPresence<S>>();
  private readonly roomOnline = new Map<number, number>();
  private readonly graceMs: number;

  constructor(private readonly o: PresenceOptions) {
    this.graceMs = o.offlineGraceMs ?? 5000;
  }

  connected(socket: S, memberships: readonly number[]): void {
    const user = socket.data.user;
    let p = this.users.get(user.id);
    if (!p) {
      p = {
        user,
        sockets: new Set(),
        rooms: new Set(memberships),
        announced: "offline",
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
    socket.data.away = away;
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

  status(userId: number): UserStatus {
    const p = this.users.get(userId);
    if (!p || p.sockets.size === 0) return "offline";
    for (const s of p.sockets) if (!s.data.away) return "online";
    return "away";
  }

  /** Members of the room with at least one socket open. */
  online(room: number): number {
    return this.roomOnline.get(room) ?? 0;
  }

  sockets(userId: number): readonly S[] {
    return [...(this.users.get(userId)?.sockets ?? [])];
  }

  everyone(): S[] {
    const all: S[] = [];
    for (const p of this.users.values()) all.push(...p.sockets);
    return all;
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
  }

  private changed(p: UserPresence<S>): void {
    const now = this.status(p.user.id);
    if (p.offlineTimer !== undefined) {
      clearTimeout(p.offlineTimer);
      p.offlineTimer = undefined;
    }
    if (now === p.announced) {
      this.forgetIfGone(p);
      return;
    }
    if (now !== "offline") {
      this.announce(p, now);
      return;
    }
    p.offlineTimer = setTimeout(() => {
      p.offlineTimer = undefined;
      if (this.status(p.user.id) === "offline") this.announce(p, "offline");
      this.forgetIfGone(p);
    }, this.graceMs);
    p.offlineTimer.unref?.();
  }

  private announce(p: UserPresence<S>, status: UserStatus): void {
    p.announced = status;
    this.o.announce(p.user, status, [...p.rooms]);
  }

  private forgetIfGone(p: UserPresence<S>): void {
    if (p.sockets.size === 0 && p.offlineTimer === undefined && p.announced === "offline") {
      this.users.delete(p.user.id);
    }
  }
}
