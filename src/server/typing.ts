/**
 * Typing notices are relayed at most once per user and room per interval: a client may send one
 * per keystroke, the room hears one every few seconds. Nothing here is stored.
 */
import { TYPING_INTERVAL_MS } from "../protocol/index.ts";

export class TypingThrottle {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs = TYPING_INTERVAL_MS) {}

  /** True when this notice should be relayed. */
  allow(userId: number, room: number, now: number): boolean {
    const key = `${userId}:${room}`;
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }

  /** A sent message ends the typing: the next keystroke may be relayed at once. */
  sent(userId: number, room: number): void {
    this.last.delete(`${userId}:${room}`);
  }

  prune(now: number): void {
    for (const [key, at] of this.last) if (now - at >= this.intervalMs) this.last.delete(key);
  }
}
