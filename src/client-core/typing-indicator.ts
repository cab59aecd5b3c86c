/**
 * Who is typing where, for "alice is typing…": a typing notice shows its user for a while
 * (about 6 s), unless their message arrives first. Pure state over an injected time, so the
 * expiry is testable without waiting; the view re-renders at nextExpiry().
 */
import type { UserRef } from "../protocol/index.ts";

/** How long a typing notice is shown; the server relays one per user and room every 3 s. */
export const TYPING_SHOWN_MS = 6_000;

export class TypingIndicator {
  /** room → user id → who and until when. */
  private readonly rooms = new Map<number, Map<number, { user: UserRef; until: number }>>();

  constructor(private readonly shownMs = TYPING_SHOWN_MS) {}

  typing(room: number, user: UserRef, now: number): void {
    let users = this.rooms.get(room);
    if (!users) {
      users = new Map();
      this.rooms.set(room, users);
    }
    users.set(user.id, { user, until: now + this.shownMs });
  }

  /** Their message arrived (or they left): they are no longer typing. */
  stopped(room: number, userId: number): void {
    this.rooms.get(room)?.delete(userId);
  }

  /** Names typing in the room now, in the order they started. */
  who(room: number, now: number): string[] {
    const users = this.rooms.get(room);
    if (!users) return [];
    for (const [id, t] of users) if (t.until <= now) users.delete(id);
    return [...users.values()].map((t) => t.user.name);
  }

  /** When the next notice runs out, if any is shown. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const users of this.rooms.values()) {
      for (const t of users.values()) if (next === undefined || t.until < next) next = t.until;
    }
    return next;
  }
}

/** "alice is typing…", "alice and bob are typing…", "3 people are typing…", or "". */
export function typingText(names: readonly string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/**
 * Our own typing notices: at most one per room every `intervalMs` (the server drops more
 * anyway), so a fast typist costs one small frame every 3 s.
 */
export class TypingSender {
  private readonly last = new Map<number, number>();

  constructor(
    private readonly send: (room: number) => void,
    private readonly intervalMs = 3_000,
  ) {}

  keystroke(room: number, now: number): void {
    const last = this.last.get(room);
    if (last !== undefined && now - last < this.intervalMs) return;
    this.last.set(room, now);
    this.send(room);
  }

  /** The message went: the next keystroke may announce typing again at once. */
  sent(room: number): void {
    this.last.delete(room);
  }
}
