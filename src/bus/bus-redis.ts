/**
 * The bus across nodes: Redis pub/sub through Bun's built-in client. A room's envelopes go on
 * its bucket's channel, `<prefix>:bus:<room % buckets>`, and a node subscribes only to the
 * buckets of the rooms it watches (rooms its sockets read), subscribing and unsubscribing as
 * rooms gain and lose readers here. So a node decodes its own rooms' traffic and its bucket
 * neighbours', not the whole deployment's. Control signals (revocation) use one more channel,
 * `<prefix>:control`, which every node subscribes to.
 *
 * Delivery is at least once while Redis is up: envelopes published while this node's link is
 * down wait in a bounded outbox and go out after the reconnect, in order; one in flight when
 * the link broke is sent again, so a reader may see it twice (seqs make that harmless).
 * Pub/sub keeps nothing, so envelopes other nodes published while our subscription was down
 * are lost to us: `reconnected` fires after each recovery, and the server must then replay
 * every room it serves from the store, by seq.
 *
 * Order: one node's envelopes arrive in its publish order. Envelopes of one room published by
 * different nodes may arrive out of seq order; the bus does not reorder them.
 */
import { RedisClient } from "bun";
import type { Logger } from "../log/log.ts";
import type { Bus, BusEnvelope, BusHooks, Deliver } from "./bus.ts";

export interface RedisBusOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Namespaces the channel, so several deployments can share one Redis. @default "parley" */
  prefix?: string;
  /** Shown in CLIENT LIST as `<prefix>:<node>:pub|sub`, for operators. @default "node" */
  node?: string;
  /** First reconnect delay in ms; it doubles per failed attempt. @default 100 */
  backoffMs?: number;
  /** Longest reconnect delay in ms. @default 5000 */
  backoffCapMs?: number;
  /** A link that answers no PING within this many ms is treated as broken. @default 5000 */
  pingMs?: number;
  /** Envelopes kept while the link is down; the oldest are dropped beyond this. @default 10000 */
  outboxMax?: number;
  /** Channels the rooms are spread over; each node subscribes to those it needs. @default 1024 */
  buckets?: number;
  log?: Logger;
}

export type RedisBusState = "idle" | "connecting" | "up" | "down" | "closed";

const CLIENT_OPTIONS = {
  // We reconnect ourselves, with fresh clients: a reconnected Bun client keeps its old
  // listeners, so subscribing again would deliver every message twice.
  autoReconnect: false,
  enableOfflineQueue: false,
  connectionTimeout: 5_000,
};

/**
 * Wire format: `<room> <seq> <frame>`; the frame is already JSON, so it is not encoded twice.
 * Users to hide it from follow the seq: `<room> <seq>~<id>,<id> <frame>`.
 */
export function encodeEnvelope(e: BusEnvelope): string {
  const hide = e.hide && e.hide.length > 0 ? `~${e.hide.join(",")}` : "";
  return `${e.room} ${e.seq}${hide} ${e.frame}`;
}

export function decodeEnvelope(message: string): BusEnvelope | undefined {
  const a = message.indexOf(" ");
  const b = message.indexOf(" ", a + 1);
  if (a <= 0 || b <= a + 1) return undefined;
  const room = Number(message.slice(0, a));
  const [seqText = "", hideText] = message.slice(a + 1, b).split("~", 2);
  const seq = Number(seqText);
  if (!Number.isSafeInteger(room) || !Number.isSafeInteger(seq)) return undefined;
  const frame = message.slice(b + 1);
  if (hideText === undefined) return { room, seq, frame };
  const hide = hideText.split(",").map(Number);
  if (!hide.every(Number.isSafeInteger)) return undefined;
  return { room, seq, frame, hide };
}

export class RedisBus implements Bus {
  private _state: RedisBusState = "idle";
  private deliver: Deliver | undefined;
  private hooks: BusHooks = {};
  private pub: RedisClient | undefined;
  private sub: RedisClient | undefined;
  /** Bumped whenever the link is replaced; callbacks of an older link are ignored. */
  private generation = 0;
  /** [channel, message] not yet confirmed by Redis, oldest first; the first `inFlight` are sent. */
  private outbox: [string, string][] = [];
  private inFlight = 0;
  private dropped = 0;
  private pinger: ReturnType<typeof setInterval> | undefined;
  private wake: (() => void) | undefined;
  private readonly controlChannel: string;
  /** Watches per bucket channel (counted: a room watched twice is unwatched twice). */
  private readonly watched = new Map<string, number>();
  /** Channels subscribed (or being subscribed) on the current link. */
  private subscribed = new Set<string>();
  private readonly subscribing = new Map<string, Promise<void>>();
  private listener: ((message: string) => void) | undefined;
  private readonly o: Required<Omit<RedisBusOptions, "log">> & { log: Logger | undefined };

  constructor(options: RedisBusOptions) {
    this.o = {
      prefix: "parley",
      node: "node",
      backoffMs: 100,
      backoffCapMs: 5_000,
      pingMs: 5_000,
      outboxMax: 10_000,
      buckets: 1024,
      ...options,
      log: options.log,
    };
    this.controlChannel = `${this.o.prefix}:control`;
  }

  get state(): RedisBusState {
    return this._state;
  }

  /** The channel that carries the room's envelopes. */
  channelOf(room: number): string {
    return `${this.o.prefix}:bus:${room % this.o.buckets}`;
  }

  /** Envelopes dropped because the outbox was full during an outage, since start. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** Connects and subscribes; rejects when Redis cannot be reached now. */
  async start(deliver: Deliver, hooks: BusHooks = {}): Promise<void> {
    if (this._state !== "idle") throw new Error(`RedisBus cannot start when ${this._state}`);
    this.deliver = deliver;
    this.hooks = hooks;
    this._state = "connecting";
    try {
      await this.link();
    } catch (err) {
      this.unlink();
      this._state = "idle";
      throw err;
    }
    if (this.isClosed()) return this.unlink();
    this._state = "up";
    this.subscribeWatched();
    this.pinger = setInterval(() => this.checkLink(), this.o.pingMs);
    this.pinger.unref();
    this.pump();
  }

  publish(envelope: BusEnvelope): void {
    if (this._state === "closed" || this._state === "idle") return;
    this.outbox.push([this.channelOf(envelope.room), encodeEnvelope(envelope)]);
    this.pump();
    this.trim();
  }

  watch(room: number): Promise<void> {
    const channel = this.channelOf(room);
    this.watched.set(channel, (this.watched.get(channel) ?? 0) + 1);
    return this.ensure(channel);
  }

  unwatch(room: number): void {
    const channel = this.channelOf(room);
    const n = (this.watched.get(channel) ?? 0) - 1;
    if (n > 0) {
      this.watched.set(channel, n);
      return;
    }
    this.watched.delete(channel);
    if (this.sub && this.subscribed.delete(channel)) this.sub.unsubscribe(channel).catch(() => {});
  }

  /** Subscribes the link to the channel unless it already is; resolves once Redis confirmed. */
  private ensure(channel: string): Promise<void> {
    const { sub, listener } = this;
    if (this._state !== "up" || !sub || !listener || this.subscribed.has(channel)) {
      return this.subscribing.get(channel) ?? Promise.resolve();
    }
    this.subscribed.add(channel);
    const gen = this.generation;
    const done = sub
      .subscribe(channel, listener)
      .then(
        () => {},
        (err: Error) => {
          if (gen === this.generation) this.lost(err);
        },
      )
      .finally(() => this.subscribing.delete(channel));
    this.subscribing.set(channel, done);
    return done;
  }

  /** Channels watched while the link was being made: subscribe them now it is up. */
  private subscribeWatched(): void {
    for (const channel of this.watched.keys()) void this.ensure(channel);
  }

  signal(message: string): void {
    if (this._state === "closed" || this._state === "idle") return;
    this.outbox.push([this.controlChannel, message]);
    this.pump();
    this.trim();
  }

  async close(): Promise<void> {
    this._state = "closed";
    clearInterval(this.pinger);
    this.wake?.();
    this.unlink();
    this.deliver = undefined;
    this.outbox = [];
    this.inFlight = 0;
  }

  /**
   * Bounds what waits unsent while the link is down, dropping the oldest. Envelopes already
   * handed to a live link are not counted: a burst while up must never be dropped.
   */
  private trim(): void {
    const excess = this.outbox.length - this.inFlight - this.o.outboxMax;
    if (excess <= 0) return;
    this.outbox.splice(this.inFlight, excess);
    const before = this.dropped;
    this.dropped += excess;
    if (Math.floor(before / 1000) !== Math.floor(this.dropped / 1000) || before === 0) {
      this.o.log?.warn("bus.outbox_full", { dropped: this.dropped, max: this.o.outboxMax });
    }
  }

  private isClosed(): boolean {
    return this._state === "closed";
  }

  /** Opens a publishing and a subscribed connection: a subscribed client takes no PUBLISH. */
  private async link(): Promise<void> {
    const gen = ++this.generation;
    const pub = new RedisClient(this.o.url, CLIENT_OPTIONS);
    const sub = new RedisClient(this.o.url, CLIENT_OPTIONS);
    this.pub = pub;
    this.sub = sub;
    const broken = (err: Error) => {
      if (gen === this.generation) this.lost(err);
    };
    pub.onclose = broken;
    sub.onclose = broken;
    await Promise.all([pub.connect(), sub.connect()]);
    const name = `${this.o.prefix}:${this.o.node}`;
    await Promise.all([
      pub.send("CLIENT", ["SETNAME", `${name}:pub`]),
      sub.send("CLIENT", ["SETNAME", `${name}:sub`]),
    ]);
    const listener = (message: string) => {
      if (gen === this.generation) this.receive(message);
    };
    this.listener = listener;
    this.subscribed = new Set(this.watched.keys());
    await sub.subscribe(this.controlChannel, (message) => {
      if (gen === this.generation) this.control(message);
    });
    if (this.subscribed.size > 0) await sub.subscribe([...this.subscribed], listener);
    // A drop during the steps above fired onclose while we were not "up" yet: check directly.
    if (!pub.connected || !sub.connected) throw new Error("Redis connection lost while linking");
  }

  private unlink(): void {
    this.generation++;
    const { pub, sub } = this;
    this.pub = undefined;
    this.sub = undefined;
    pub?.close();
    sub?.close();
  }

  private receive(message: string): void {
    const envelope = decodeEnvelope(message);
    if (!envelope) {
      this.o.log?.warn("bus.malformed", { bytes: message.length });
      return;
    }
    try {
      this.deliver?.(envelope);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.o.log?.error("bus.deliver_failed", { room: envelope.room, seq: envelope.seq, error });
    }
  }

  private control(message: string): void {
    try {
      this.hooks.signal?.(message);
    } catch (err) {
      this.o.log?.error("bus.signal_failed", { error: (err as Error).message });
    }
  }

  /** Sends what waits in the outbox, in order, while the link is up. */
  private pump(): void {
    const pub = this.pub;
    if (this._state !== "up" || !pub) return;
    const gen = this.generation;
    while (this.inFlight < this.outbox.length) {
      const [channel, message] = this.outbox[this.inFlight++] as [string, string];
      pub.publish(channel, message).then(
        () => {
          // Replies come back in send order on one connection: this one is the oldest.
          if (gen !== this.generation) return;
          this.outbox.shift();
          this.inFlight--;
        },
        (err: Error) => {
          if (gen === this.generation) this.lost(err);
        },
      );
    }
  }

  private checkLink(): void {
    if (this._state !== "up") return;
    const gen = this.generation;
    const { pub, sub } = this;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("Redis PING timed out")), this.o.pingMs);
    });
    Promise.race([Promise.all([pub?.send("PING", []), sub?.send("PING", [])]), timeout])
      .catch((err: Error) => {
        if (gen === this.generation) this.lost(err);
      })
      .finally(() => clearTimeout(timer));
  }

  private lost(err: Error): void {
    if (this._state !== "up") return;
    this._state = "down";
    this.o.log?.warn("bus.down", { error: err.message, unsent: this.outbox.length });
    this.unlink();
    // Whatever was in flight may or may not have reached Redis: send it again (at least once).
    this.inFlight = 0;
    this.trim();
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.isClosed(); attempt++) {
      await this.sleep(this.delay(attempt));
      if (this.isClosed()) return;
      try {
        await this.link();
      } catch (err) {
        this.unlink();
        this.o.log?.debug("bus.reconnect_failed", { attempt, error: (err as Error).message });
        continue;
      }
      if (this.isClosed()) return this.unlink();
      this._state = "up";
      this.subscribeWatched();
      this.o.log?.info("bus.up", { attempt, unsent: this.outbox.length });
      this.pump();
      try {
        this.hooks.reconnected?.();
      } catch (err) {
        this.o.log?.error("bus.hook_failed", { error: (err as Error).message });
      }
      return;
    }
  }

  /** Exponential with equal jitter, capped: nodes that lost Redis together do not retry in step. */
  private delay(attempt: number): number {
    const exp = Math.min(this.o.backoffCapMs, this.o.backoffMs * 2 ** Math.min(attempt - 1, 20));
    return exp / 2 + Math.random() * (exp / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
