/**
 * Read markers: as messages are shown, tell the server how far each room has been read, so
 * `unread` counts stay right on every device. At most one `read` per room per interval: the
 * highest seq shown goes when the interval ends.
 */
import type { Clock } from "./clock.ts";

export class ReadMarker {
  /** room → the highest seq shown, and whether it was sent. */
  private readonly rooms = new Map<number, { shown: number; sent: number; timer: unknown }>();

  constructor(
    /** false when it could not go (offline): it is tried again with the next message. */
    private readonly send: (room: number, seq: number) => boolean,
    private readonly clock: Clock,
    private readonly intervalMs = 1_000,
  ) {}

  shown(room: number, seq: number): void {
    let r = this.rooms.get(room);
    if (!r) {
      r = { shown: 0, sent: 0, timer: undefined };
      this.rooms.set(room, r);
    }
    if (seq <= r.shown) return;
    r.shown = seq;
    if (r.timer !== undefined) return;
    const entry = r;
    const flush = () => {
      entry.timer = undefined;
      if (entry.shown <= entry.sent) return;
      if (!this.send(room, entry.shown)) return;
      entry.sent = entry.shown;
      // Hold the next one back for an interval; what arrives meanwhile goes at its end.
      entry.timer = this.clock.setTimeout(() => {
        entry.timer = undefined;
        if (entry.shown > entry.sent) flush();
      }, this.intervalMs);
    };
    flush();
  }

  close(): void {
    for (const r of this.rooms.values()) this.clock.clearTimeout(r.timer);
    this.rooms.clear();
  }
}
