/**
 * Puts each room's messages back in seq order before this node delivers them. With one node the
 * bus is already in order and this is a counter per room; with many, two nodes commit seq 6 and 7
 * and their publishes may cross, the bus may repeat an envelope after a reconnect, and a node may
 * die between commit and publish. So: repeats are dropped, an early envelope is held, and a hole
 * still open after holdMs is read from the store, which has every committed message.
 *
 * An envelope may also never come: its node died between commit and publish, Redis refused the
 * publish, or a commit finished after its deadline had been answered. So every sweepMs the
 * heads of all tracked rooms are read from the store in one batch, and a room whose head is past
 * the last seq delivered here is filled. A stored message therefore reaches every attached
 * socket within about sweepMs plus one store read, with no later traffic needed.
 *
 * Only rooms someone on this node listens to are tracked; the others cost nothing.
 */
import { entryFrame, type Store } from "../../db/store.ts";
import type { BusEnvelope } from "../bus/bus.ts";
import { errorFields, type Logger } from "../log/log.ts";
import { encodeFrame } from "../protocol/index.ts";

interface RoomOrder {
  /** The last seq delivered on this node. */
  last: number;
  /** Envelopes past a hole, by seq. */
  held: Map<number, BusEnvelope>;
  timer: ReturnType<typeof setTimeout> | undefined;
  filling: boolean;
}

export interface SequencerOptions {
  store: Store;
  log: Logger;
  /** Delivers an in-order envelope to this node's sockets. */
  deliver: (e: BusEnvelope) => void;
  /** Whether any socket on this node reads the room. */
  listening: (room: number) => boolean;
  /** How long a hole may stay open before it is read from the store. @default 250 */
  holdMs?: number;
  /** How often the tracked rooms' heads are compared with the store; 0 never. @default 1000 */
  sweepMs?: number;
}

/** Rooms whose heads are read in one store call during a sweep. */
const SWEEP_CHUNK = 1000;

/** Most messages read from the store to fill one hole; a larger one is filled in steps. */
const FILL_PAGE = 500;

export class Sequencer {
  private readonly rooms = new Map<number, RoomOrder>();
  private readonly holdMs: number;
  private readonly sweeper: ReturnType<typeof setInterval> | undefined;
  private sweeping = false;

  constructor(private readonly o: SequencerOptions) {
    this.holdMs = o.holdMs ?? 250;
    const sweepMs = o.sweepMs ?? 1000;
    if (sweepMs > 0) {
      this.sweeper = setInterval(() => void this.sweep(), sweepMs);
      this.sweeper.unref?.();
    }
  }

  /** A socket went live in the room having everything up to `last`: start tracking from there. */
  track(room: number, last: number): void {
    if (!this.rooms.has(room)) {
      this.rooms.set(room, { last, held: new Map(), timer: undefined, filling: false });
    }
  }

  accept(e: BusEnvelope): void {
    const order = this.rooms.get(e.room);
    if (!order) {
      // Nobody here reads the room yet; whoever attaches later replays from the store.
      this.o.deliver(e);
      return;
    }
    if (!this.o.listening(e.room) && order.held.size === 0 && !order.filling) {
      // Everyone here left: forget the room rather than keep a stale counter.
      this.forget(e.room, order);
      this.o.deliver(e);
      return;
    }
    if (e.seq <= order.last || order.held.has(e.seq)) return;
    order.held.set(e.seq, e);
    this.release(e.room, order);
  }

  /** The bus lost messages (an outage): read every tracked room's tail from the store. */
  async resync(): Promise<void> {
    await Promise.all([...this.rooms.keys()].map((room) => this.fill(room)));
  }

  /**
   * Reads every tracked room's head and fills those behind it; rooms nobody here reads any more
   * are forgotten. One sweep at a time: a slow store never piles them up.
   */
  async sweep(): Promise<void> {
    if (this.sweeping || this.rooms.size === 0) return;
    this.sweeping = true;
    try {
      const rooms = [...this.rooms.keys()];
      for (let i = 0; i < rooms.length; i += SWEEP_CHUNK) {
        const heads = await this.o.store.roomHeads(rooms.slice(i, i + SWEEP_CHUNK));
        for (const [room, head] of heads) {
          const order = this.rooms.get(room);
          if (!order || order.filling) continue;
          if (!this.o.listening(room) && order.held.size === 0) this.forget(room, order);
          else if (head > order.last) void this.fill(room);
        }
      }
    } catch (err) {
      this.o.log.warn("sequencer.sweep_failed", errorFields(err));
    } finally {
      this.sweeping = false;
    }
  }

  private release(room: number, order: RoomOrder): void {
    for (let next = order.held.get(order.last + 1); next; next = order.held.get(order.last + 1)) {
      order.held.delete(next.seq);
      order.last = next.seq;
      this.o.deliver(next);
    }
    if (order.held.size === 0) {
      if (order.timer !== undefined) clearTimeout(order.timer);
      order.timer = undefined;
      return;
    }
    order.timer ??= setTimeout(() => {
      order.timer = undefined;
      this.fill(room);
    }, this.holdMs);
  }

  private async fill(room: number): Promise<void> {
    const order = this.rooms.get(room);
    if (!order || order.filling) return;
    order.filling = true;
    try {
      for (;;) {
        // Messages and events alike: the log's every seq is delivered, in order.
        const missing = await this.o.store.logAfter(room, order.last, FILL_PAGE);
        for (const m of missing) {
          if (m.seq > order.last && !order.held.has(m.seq)) {
            order.held.set(m.seq, { room, seq: m.seq, frame: encodeFrame(entryFrame(m)) });
          }
        }
        const before = order.last;
        this.release(room, order);
        if (missing.length < FILL_PAGE || order.last === before) break;
      }
    } catch (err) {
      this.o.log.error("sequencer.fill_failed", { room, ...errorFields(err) });
      order.timer ??= setTimeout(() => {
        order.timer = undefined;
        this.fill(room);
      }, this.holdMs * 4);
    } finally {
      order.filling = false;
    }
  }

  private forget(room: number, order: RoomOrder): void {
    if (order.timer !== undefined) clearTimeout(order.timer);
    this.rooms.delete(room);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [room, order] of this.rooms) this.forget(room, order);
  }
}
