/**
 * The hub delivers to this node's sockets: it caps connections, tracks which sockets are catching
 * up on a room, and turns bus envelopes into Bun topic publishes. Who is online is presence.ts.
 *
 * Invariant: a socket is either catching up on a room (not subscribed; live envelopes are
 * buffered for it) or subscribed to the room's topic, never both. The switch from one to the
 * other happens in one synchronous step, so no envelope is lost or sent twice in between.
 */
import type { Server, ServerWebSocket } from "bun";
import type { Store } from "../../db/store.ts";
import { type Bus, type BusEnvelope, EPHEMERAL_SEQ } from "../bus/bus.ts";
import type { Logger } from "../log/log.ts";
import { CLOSE } from "../protocol/index.ts";
import type { ConnectionData } from "./connection-data.ts";
import { LocalTopics } from "./local-topics.ts";
import type { Metrics } from "./metrics.ts";
import type { Presence } from "./presence.ts";
import { Sequencer } from "./sequencer.ts";

export type { ConnectionData } from "./connection-data.ts";

export type Socket = ServerWebSocket<ConnectionData>;

/**
 * Not a room: the topic every socket is subscribed to from its start, for news about the room
 * directory (a room was created). Envelopes for it are ephemeral, like presence.
 */
export const DIRECTORY = 0;

export function topicOf(room: number): string {
  return `room:${room}`;
}

export class Hub {
  private server: Server<ConnectionData> | undefined;
  /** Open sockets plus accepted upgrades not yet open: the connection caps count both. */
  private readonly perUser = new Map<number, number>();
  private readonly perAddress = new Map<string, number>();
  private readonly catchingUp = new Map<number, Set<Socket>>();
  /** Subscribers that are not Bun WebSockets: the IRC gateway's connections. */
  readonly local = new LocalTopics();
  /** Sockets here reading each room (subscribed or catching up): the rooms the bus watches. */
  private readonly readers = new Map<number, number>();
  /** Rooms whose bus subscription is not confirmed yet. */
  private readonly watching = new Map<number, Promise<void>>();
  private bus: Bus | undefined;

  private readonly sequencer: Sequencer;
  /** Counted by the hub and by replay.ts, which attaches sockets through it. */
  readonly metrics: Metrics | undefined;

  constructor(
    private readonly presence: Presence<Socket>,
    private readonly caps: { perUser: number; perAddress: number },
    order: { store: Store; log: Logger; holdMs?: number; metrics?: Metrics | undefined },
  ) {
    this.metrics = order.metrics;
    this.sequencer = new Sequencer({
      ...order,
      deliver: (e) => this.deliverInOrder(e),
      listening: (room) =>
        this.catchingUp.has(room) ||
        (this.server?.subscriberCount(topicOf(room)) ?? 0) > 0 ||
        this.local.count(topicOf(room)) > 0,
    });
  }

  bind(server: Server<ConnectionData>, bus?: Bus): void {
    this.server = server;
    this.bus = bus;
  }

  private addReader(room: number): void {
    const n = this.readers.get(room) ?? 0;
    this.readers.set(room, n + 1);
    if (n > 0 || !this.bus) return;
    const watched = this.bus.watch(room).finally(() => {
      if (this.watching.get(room) === watched) this.watching.delete(room);
    });
    this.watching.set(room, watched);
  }

  private dropReader(room: number): void {
    const n = (this.readers.get(room) ?? 1) - 1;
    if (n > 0) {
      this.readers.set(room, n);
      return;
    }
    this.readers.delete(room);
    this.watching.delete(room);
    this.bus?.unwatch(room);
  }

  /** Rooms some socket here reads, so the bus watches them. */
  get watchedRooms(): number {
    return this.readers.size;
  }

  /** Claims a connection slot; says which cap refused it, if one did. */
  reserve(userId: number, address: string): "ok" | "user" | "address" {
    const byUser = this.perUser.get(userId) ?? 0;
    if (byUser >= this.caps.perUser) return "user";
    const byAddress = this.perAddress.get(address) ?? 0;
    if (byAddress >= this.caps.perAddress) return "address";
    this.perUser.set(userId, byUser + 1);
    this.perAddress.set(address, byAddress + 1);
    return "ok";
  }

  release(userId: number, address: string): void {
    decrement(this.perUser, userId);
    decrement(this.perAddress, address);
  }

  opened(ws: Socket): void {
    ws.subscribe(topicOf(DIRECTORY));
    this.presence.connected(ws, ws.data.presence.memberships);
  }

  closed(ws: Socket): void {
    const d = ws.data.delivery;
    d.state = "closed";
    for (const room of d.catchUp.keys()) this.catchingUp.get(room)?.delete(ws);
    d.catchUp.clear();
    for (const room of d.rooms) this.dropReader(room);
    d.rooms.clear();
    for (const wake of d.drainWaiters.splice(0)) wake();
    this.release(ws.data.user.id, ws.data.address);
    this.presence.disconnected(ws);
  }

  memberJoined(userId: number, room: number): void {
    this.presence.memberJoined(userId, room);
  }

  /** The user left the room: none of their sockets receive it any more. */
  memberLeft(userId: number, room: number): void {
    for (const ws of this.presence.sockets(userId)) this.detach(ws, room);
    this.presence.memberLeft(userId, room);
  }

  /**
   * The user was removed from the room (kicked, banned, the room deleted): each of their
   * sockets here that receives it is sent `frame` first, then stops receiving the room.
   */
  removeMember(userId: number, room: number, frame: string): void {
    for (const ws of this.presence.sockets(userId)) {
      if (ws.data.delivery.rooms.has(room) && ws.data.delivery.state === "open") ws.send(frame);
    }
    this.memberLeft(userId, room);
  }

  /**
   * Starts buffering the room's live envelopes for this socket, which is not subscribed. The
   * promise resolves once the bus surely delivers the room here: read the store after it.
   */
  beginCatchUp(ws: Socket, room: number): Promise<void> {
    // Counted before the detach, so a re-attach never drops the bus subscription in between.
    this.addReader(room);
    this.detach(ws, room);
    ws.data.delivery.rooms.add(room);
    ws.data.delivery.catchUp.set(room, []);
    let set = this.catchingUp.get(room);
    if (!set) {
      set = new Set();
      this.catchingUp.set(room, set);
    }
    set.add(ws);
    return this.watching.get(room) ?? Promise.resolve();
  }

  /**
   * Sends what was buffered past `lastSent` and subscribes, in one synchronous step.
   * Returns the last seq the socket now has, and how many buffered messages it was sent.
   */
  endCatchUp(ws: Socket, room: number, lastSent: number): { last: number; buffered: number } {
    const buffered = ws.data.delivery.catchUp.get(room);
    this.stopBuffering(ws, room);
    if (!buffered || ws.data.delivery.state === "closed") return { last: lastSent, buffered: 0 };
    // In seq order already, unless the room was not yet ordered on this node (its first reader).
    buffered.sort((x, y) => x.seq - y.seq);
    let last = lastSent;
    let sent = 0;
    for (const e of buffered) {
      if (e.seq <= last) continue;
      ws.send(e.frame);
      last = e.seq;
      sent++;
    }
    ws.subscribe(topicOf(room));
    this.sequencer.track(room, last);
    return { last, buffered: sent };
  }

  private stopBuffering(ws: Socket, room: number): void {
    ws.data.delivery.catchUp.delete(room);
    const set = this.catchingUp.get(room);
    if (!set) return;
    set.delete(ws);
    if (set.size === 0) this.catchingUp.delete(room);
  }

  detach(ws: Socket, room: number): void {
    if (!ws.data.delivery.rooms.delete(room)) return;
    this.dropReader(room);
    this.stopBuffering(ws, room);
    if (ws.data.delivery.state === "open") ws.unsubscribe(topicOf(room));
  }

  /**
   * Called for every envelope from any node. Ephemeral frames (seq 0: presence, typing, notices)
   * go straight to the room's topic and are never buffered or replayed; messages go through the
   * sequencer first, which puts them in seq order and drops repeats.
   */
  readonly deliver = (e: BusEnvelope): void => {
    if (e.seq !== EPHEMERAL_SEQ) this.sequencer.accept(e);
    else if (e.hide && e.hide.length > 0) this.publishHiding(e.room, e.frame, new Set(e.hide));
    else this.publish(e.room, e.frame);
  };

  /**
   * An ephemeral frame some users must not get: sent socket by socket to exactly the sockets the
   * topic would reach (subscribed, not catching up), skipping those users'. Rare (only presence
   * of someone who blocks someone) and never used for messages, so fan-out keeps its topic.
   */
  private publishHiding(room: number, frame: string, hide: ReadonlySet<number>): void {
    for (const ws of this.presence.everyone()) {
      const d = ws.data.delivery;
      if (d.state !== "open" || hide.has(ws.data.user.id)) continue;
      if (d.rooms.has(room) && !d.catchUp.has(room)) ws.send(frame);
    }
  }

  /** A message in seq order: buffered for the sockets catching up, published to the others. */
  private deliverInOrder(e: BusEnvelope): void {
    const waiting = this.catchingUp.get(e.room);
    if (waiting) for (const ws of waiting) ws.data.delivery.catchUp.get(e.room)?.push(e);
    const topic = topicOf(e.room);
    this.publishTo(topic, e.frame);
    this.metrics?.messagesDelivered.inc(undefined, this.server?.subscriberCount(topic));
  }

  private publish(room: number, frame: string): void {
    this.publishTo(topicOf(room), frame);
  }

  private publishTo(topic: string, frame: string): void {
    this.server?.publish(topic, frame);
    this.local.publish(topic, frame);
  }

  /** The bus was down and may have lost messages: fill every room read here from the store. */
  resync(): Promise<void> {
    return this.sequencer.resync();
  }

  /** Closes every socket of a session (logout, revocation). */
  endSession(userId: number, tokenHash: string): void {
    for (const ws of this.presence.sockets(userId)) {
      if (ws.data.session.tokenHash === tokenHash) ws.close(CLOSE.SESSION_ENDED, "session ended");
    }
  }

  /** Closes sockets whose session has expired; returns how many. */
  closeExpired(now: number): number {
    let n = 0;
    for (const ws of this.presence.everyone()) {
      if (ws.data.session.expiresAt <= now) {
        ws.close(CLOSE.SESSION_ENDED, "session expired");
        n++;
      }
    }
    return n;
  }

  closeAll(code: number, reason: string): void {
    this.sequencer.close();
    for (const ws of this.presence.everyone()) ws.close(code, reason);
  }
}

function decrement<K>(map: Map<K, number>, key: K): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
