/**
 * The connection layer every Parley client shares: one WebSocket session that reconnects with
 * backoff, resumes each room from its last seq, fills gaps from history, and retries unacked
 * sends with their original cid. Messages reach listeners once per room, in seq order.
 *
 * Given several nodes of one deployment (they share the database, so seqs and sessions hold on
 * all of them), each reconnect goes to the next node in turn, and resume works on any of them.
 *
 * Direct messages are rooms of kind "dm" with the same guarantees: they are tracked, resumed and
 * gap-filled like rooms, and a DM in the outbox is sealed afresh (same cid) on every attempt by
 * the sealer it was queued with. A DM the other person opens arrives as `dm_opened` and is
 * tracked from its first message. Ephemeral frames (presence, typing, notices, device changes)
 * are passed on to `push` listeners as they are.
 *
 * It runs in browsers as is: no node: imports, the global WebSocket and fetch (or injected
 * ones: the terminal passes ones that trust a private CA), and a single-use ticket in the `?ticket=` query
 * parameter, because browsers cannot set headers on a socket.
 *
 * Connection ties together its parts, each in its own module: the socket with its backoff and
 * failover (socket-link.ts), request/reply correlation (pending-requests.ts), per-room ordering
 * and gap filling (room-tracker.ts) and the outbox's sending (outbox-sender.ts).
 */
import type { Envelope } from "../crypto/index.ts";
import {
  decodeServerFrame,
  isEvent,
  type Limits,
  type LogEntry,
  type Member,
  nameKey,
  type RoomSummary,
  type ServerFrameOf,
  type UserRef,
} from "../protocol/index.ts";
import type { BackoffOptions } from "./backoff.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { ConnectionEvents, ConnectionState } from "./connection-events.ts";
import { FramePacer } from "./frame-pacer.ts";
import type { OutboxItem, SendOptions } from "./outbox.ts";
import { OutboxSender } from "./outbox-sender.ts";
import { PendingRequests, type ReplyType, type RequestFrame } from "./pending-requests.ts";
import { RequestError } from "./request-error.ts";
import { RoomTracker, type TrackedRoom } from "./room-tracker.ts";
import { SocketLink } from "./socket-link.ts";

export type {
  Arrival,
  ConnectionEvents,
  ConnectionState,
  PushFrame,
  Status,
  StopReason,
} from "./connection-events.ts";
export { RequestError } from "./request-error.ts";
export type { TrackedRoom } from "./room-tracker.ts";
export { webSocketUrl } from "./socket-link.ts";

export interface ConnectionOptions {
  /**
   * The server's base URL, http(s)://host:port, or the URLs of several nodes of one deployment,
   * tried in this order.
   */
  server: string | readonly string[];
  token: string;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  /** Give up on a socket that has not said hello within this many ms. @default 10000 */
  connectTimeoutMs?: number;
  /** Give up on a request with no reply within this many ms (sends excepted). @default 30000 */
  requestTimeoutMs?: number;
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  /** See SocketLinkOptions.upgradeAuth. @default "ticket" */
  upgradeAuth?: "ticket" | "header";
}

/** Rooms in one `resume` (the server's bound, docs/protocol.md section 8). */
const RESUME_ROOMS_MAX = 1000;

type Listeners = { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> };

export class Connection {
  private readonly clock: Clock;
  private readonly link: SocketLink;
  private readonly requests: PendingRequests;
  private readonly listeners: Listeners = {
    message: new Set(),
    event: new Set(),
    status: new Set(),
    delivered: new Set(),
    undeliverable: new Set(),
    notice: new Set(),
    push: new Set(),
  };
  private everOpen = false;
  /** Names of rooms being created here, lower-cased: see isCreating. */
  private readonly creating = new Set<string>();
  private readonly rooms = new RoomTracker({
    history: (q) => this.call<"history">({ type: "history", ...q }),
    deliver: (m) => this.deliver(m),
    filled: () => this.finishCatchUp(),
  });
  private readonly sender: OutboxSender;
  private catchUp: { count: number; resumed: boolean } | undefined;
  private openWaiters: { resolve: () => void; reject: (e: RequestError) => void }[] = [];
  private _user: UserRef | undefined;
  private _limits: Limits | undefined;
  private presence: "online" | "away" = "online";
  /** Every frame this client sends keeps to the rate the server announced. */
  private readonly pacer = new FramePacer();

  constructor(o: ConnectionOptions) {
    this.clock = o.clock ?? systemClock;
    const servers = typeof o.server === "string" ? [o.server] : [...o.server];
    if (servers.length === 0) throw new Error("Connection needs at least one server");
    this.requests = new PendingRequests(this.clock, o.requestTimeoutMs ?? 30_000);
    this.sender = new OutboxSender(this.clock, {
      isOpen: () => this.link.state === "open",
      socket: () => this.link.socket,
      send: (frame) => this.call<"ack">(frame, { timeout: false }),
      delivered: (item, seq) => this.emit("delivered", item, seq),
      undeliverable: (item, err) => this.emit("undeliverable", item, err),
      pace: () => (this.pacer.take(this.clock.now()) ? 0 : this.pacer.wait(this.clock.now())),
    });
    this.link = new SocketLink(
      {
        servers,
        token: o.token,
        clock: this.clock,
        random: o.random ?? Math.random,
        backoff: o.backoff,
        connectTimeoutMs: o.connectTimeoutMs,
        WebSocket: o.WebSocket ?? globalThis.WebSocket,
        fetch: o.fetch ?? globalThis.fetch.bind(globalThis),
        ...(o.upgradeAuth ? { upgradeAuth: o.upgradeAuth } : {}),
      },
      {
        frame: (data) => this.receive(data),
        detached: () => this.detached(),
        status: (s) => {
          if (s.kind === "stopped") {
            for (const w of this.openWaiters.splice(0)) {
              w.reject(new RequestError("STOPPED", s.message));
            }
          }
          this.emit("status", s);
        },
      },
    );
  }

  /** The node in use, or the one tried next while reconnecting. */
  get server(): string {
    return this.link.server;
  }

  get state(): ConnectionState {
    return this.link.state;
  }

  get user(): UserRef | undefined {
    return this._user;
  }

  get limits(): Limits | undefined {
    return this._limits;
  }

  on<K extends keyof ConnectionEvents>(event: K, fn: ConnectionEvents[K]): () => void {
    (this.listeners[event] as Set<ConnectionEvents[K]>).add(fn);
    return () => {
      (this.listeners[event] as Set<ConnectionEvents[K]>).delete(fn);
    };
  }

  private emit<K extends keyof ConnectionEvents>(
    event: K,
    ...args: Parameters<ConnectionEvents[K]>
  ): void {
    for (const fn of this.listeners[event]) {
      (fn as (...a: Parameters<ConnectionEvents[K]>) => void)(...args);
    }
  }

  start(): void {
    if (this.link.state !== "idle") return;
    this.emit("status", { kind: "connecting" });
    this.link.connect();
  }

  /** Resolves once the session is open and caught up; rejects if it stops for good. */
  ready(): Promise<void> {
    if (this.link.state === "open") return Promise.resolve();
    if (this.link.state === "closed") {
      return Promise.reject(new RequestError("STOPPED", "The connection is closed."));
    }
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  /** Ends the session for good (the user quit). Unsent messages stay unsent. */
  close(): void {
    this.link.stop("closed", "Disconnected.");
  }

  // ---- Rooms ----

  /**
   * Joins a room by name. A room joined before resumes from its last seq; otherwise `from`
   * picks the start: the recent history (default), exactly seq > a number, or only new messages.
   */
  async join(name: string, { from }: { from?: number | "head" } = {}): Promise<RoomSummary> {
    for (;;) {
      try {
        // Asked by name: the full list is paged, and the room may not be on its first page.
        const listed = await this.request<"rooms">({ type: "rooms", name });
        const found = listed.rooms.find(
          (r) => r.kind === "room" && nameKey(r.name) === nameKey(name),
        );
        if (!found) throw new RequestError("ROOM_NOT_FOUND", `There is no room named "${name}".`);
        const start = from === "head" ? found.head : from;
        const track = this.rooms.get(found.id) ?? this.rooms.track(found, start);
        const reply = await this.request<"joined">(
          track.last === undefined
            ? { type: "join", room: found.id }
            : { type: "join", room: found.id, after: track.last },
        );
        this.rooms.settleTarget(track, reply.room.head);
        return reply.room;
      } catch (err) {
        // The socket dropped mid-way: joining is idempotent, so do it again once back.
        if (err instanceof RequestError && err.code === "OFFLINE") continue;
        throw err;
      }
    }
  }

  /**
   * Attaches rooms and DMs the user is already a member of (from `listRooms`) with one
   * `resume`, each from its newest `recent` messages, instead of a request or two per room: a
   * client starting up in hundreds of rooms stays within the rate limit. Rooms tracked already
   * are left as they are. Resolves with the rooms the server refused (no longer a member).
   */
  async attachAll(
    rooms: readonly RoomSummary[],
    { recent = 50 }: { recent?: number } = {},
  ): Promise<{ room: TrackedRoom; code: string }[]> {
    const fresh = rooms.filter((r) => !this.rooms.has(r.id));
    // Tracked with a baseline, so every later hello resumes them too.
    for (const r of fresh) this.rooms.track(r, Math.max(0, r.head - recent));
    const refused: { room: TrackedRoom; code: string }[] = [];
    for (let i = 0; i < fresh.length; i += RESUME_ROOMS_MAX) {
      const points = fresh
        .slice(i, i + RESUME_ROOMS_MAX)
        .map((r) => ({ room: r.id, after: this.rooms.get(r.id)?.last ?? 0 }));
      try {
        await this.ready();
        const resumed = await this.call<"resumed">(
          { type: "resume", rooms: points },
          { timeout: false },
        );
        refused.push(...this.settleResumed(resumed));
      } catch (err) {
        // Dropped meanwhile: the next hello's resume attaches them; anything else is final.
        if (!(err instanceof RequestError && err.code === "OFFLINE")) throw err;
      }
    }
    return refused;
  }

  /** True while this connection is creating a room of this name (its room_created is ours). */
  isCreating(name: string): boolean {
    return this.creating.has(name.toLowerCase());
  }

  async create(name: string, visibility?: "public" | "private"): Promise<RoomSummary> {
    const key = name.toLowerCase();
    this.creating.add(key);
    const frame = visibility ? { name, visibility } : { name };
    const reply = await this.request<"created">({ type: "create", ...frame }).finally(() =>
      this.creating.delete(key),
    );
    const track = this.rooms.track(reply.room, reply.room.head);
    this.rooms.settleTarget(track, reply.room.head);
    return reply.room;
  }

  /**
   * Opens the DM with a user (creating it on first use) and receives it from then on, like
   * join(): a DM tracked before resumes from its last seq; `from` picks the start otherwise.
   */
  async openDm(user: string, { from }: { from?: number | "head" } = {}): Promise<RoomSummary> {
    for (;;) {
      try {
        const listed = await this.request<"rooms">({ type: "rooms" });
        const found = listed.rooms.find(
          (r) => r.kind === "dm" && nameKey(r.name) === nameKey(user),
        );
        const known = found ? this.rooms.get(found.id) : undefined;
        const start = known ? known.last : from === "head" ? (found?.head ?? 0) : from;
        const reply = await this.request<"dm">(
          start === undefined ? { type: "dm", user } : { type: "dm", user, after: start },
        );
        // The replay came before the reply (kept as orphans): adopt the room, then take them in.
        const track = this.rooms.get(reply.room.id) ?? this.rooms.adopt(reply.room, start);
        this.rooms.settleTarget(track, reply.room.head);
        return reply.room;
      } catch (err) {
        if (err instanceof RequestError && err.code === "OFFLINE") continue;
        throw err;
      }
    }
  }

  async leave(room: number): Promise<void> {
    await this.request<"left">({ type: "leave", room });
    this.rooms.delete(room);
  }

  async listRooms(): Promise<RoomSummary[]> {
    return (await this.request<"rooms">({ type: "rooms" })).rooms;
  }

  async members(room: number): Promise<Member[]> {
    return (await this.request<"members">({ type: "members", room })).members;
  }

  /** A page of stored messages; these are not passed to `message` listeners. */
  async history(
    room: number,
    q: { before?: number; after?: number; limit?: number },
  ): Promise<Pick<ServerFrameOf<"history">, "messages" | "events" | "more">> {
    const reply = await this.request<"history">({ type: "history", room, ...q });
    return { messages: reply.messages, events: reply.events, more: reply.more };
  }

  /**
   * Asks for a change to a message (an edit, a delete, a reaction: an event of the room's
   * log); resolves with its ack once it is durable. The event itself arrives as an `event`
   * like everyone else's. A cid may be given so that a retry is recognised as the same change.
   */
  change(
    room: number,
    c: {
      kind: "edit" | "delete" | "react";
      target: number;
      body?: string;
      emoji?: string;
      on?: boolean;
      envelope?: Envelope;
    },
    cid: string = crypto.randomUUID(),
  ): Promise<ServerFrameOf<"ack">> {
    return this.request<"ack">({ type: "event", room, cid, ...c });
  }

  /** Rooms this session receives, with the last seq seen in each. */
  joinedRooms(): TrackedRoom[] {
    return this.rooms.joined();
  }

  // ---- Sending ----

  /**
   * Queues a message; it goes now if online, or after the next reconnect, exactly once. With
   * `seal` (a DM) the body stays here and each attempt sends the envelope it makes; `cid` lets
   * a message held back by its sender go later under the id it was given first.
   */
  send(room: number, body: string, o: SendOptions = {}): OutboxItem {
    return this.sender.add(room, body, o);
  }

  /**
   * Sets this session's presence. The server keeps it per socket, so it is sent again after
   * every reconnect; while offline it is only remembered.
   */
  async setPresence(status: "online" | "away"): Promise<void> {
    this.presence = status;
    if (this.link.state === "open") await this.call<"ok">({ type: "status", status });
  }

  get presenceStatus(): "online" | "away" {
    return this.presence;
  }

  /** A notification (typing, read): sent now if open, dropped otherwise; no reply. */
  notify(
    frame: { type: "typing"; room: number } | { type: "read"; room: number; seq: number },
  ): boolean {
    const ws = this.link.socket;
    if (this.link.state !== "open" || !ws) return false;
    if (!this.pacer.take(this.clock.now())) return false; // over the rate: typing and read come again
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** Messages typed but not yet acknowledged, oldest first. */
  pending(): readonly OutboxItem[] {
    return this.sender.pending();
  }

  // ---- Requests ----

  /** Waits until the session is open, then sends and resolves with the reply that quotes it. */
  async request<T extends ReplyType>(frame: RequestFrame): Promise<ServerFrameOf<T>> {
    await this.ready();
    return this.call<T>(frame);
  }

  /** Sends on the current socket now; OFFLINE if there is none or it drops before the reply. */
  private call<T extends ReplyType>(
    frame: RequestFrame,
    options: { timeout?: boolean } = {},
  ): Promise<ServerFrameOf<T>> {
    const ws = this.link.socket;
    if (!ws || !this.link.greeted) {
      return Promise.reject(new RequestError("OFFLINE", "Not connected."));
    }
    if (frame.type !== "send" && !this.pacer.take(this.clock.now())) {
      // Over the rate: wait for the budget (sends are paced by the outbox before they get here).
      const wait = this.pacer.wait(this.clock.now());
      return new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait)).then(() =>
        this.link.socket === ws
          ? this.call<T>(frame, options)
          : Promise.reject(new RequestError("OFFLINE", "Not connected.")),
      );
    }
    return this.requests.call<T>(ws, frame, options);
  }

  // ---- The session on each socket ----

  private receive(data: string): void {
    const decoded = decodeServerFrame(data);
    if (!decoded.ok) {
      this.emit("notice", `Ignored a bad frame from the server: ${decoded.error.message}`);
      return;
    }
    const f = decoded.frame;
    switch (f.type) {
      case "hello":
        this.greet(f);
        break;
      case "msg":
      case "event": {
        const { type: _, ...m } = f;
        this.rooms.accept(m);
        break;
      }
      case "gap": {
        this.rooms.gap(f.room, f.to);
        break;
      }
      case "error":
        if (f.ref === undefined) this.emit("notice", f.message);
        else this.requests.answer(f.ref, f);
        break;
      case "dm_opened":
        if (!this.rooms.has(f.room.id))
          this.rooms.settleTarget(this.rooms.adopt(f.room, 0), f.room.head);
        this.emit("push", f);
        break;
      case "presence":
      case "typing":
      case "notice":
      case "devices_changed":
      case "room_created":
      case "removed": // kicked, banned, or the room deleted: the listeners drop the room
      case "invited": // an invitation by name (invitation commands and panels)
        this.emit("push", f);
        break;
      default:
        // Replies quote a request; anything else is a push this client does not use yet.
        if ("ref" in f) this.requests.answer(f.ref, f);
    }
  }

  private greet(hello: ServerFrameOf<"hello">): void {
    this.link.greet(hello.limits.heartbeatSeconds * 1000);
    this._user = hello.user;
    this._limits = hello.limits;
    this.pacer.configure(hello.limits, this.clock.now());
    this.catchUp = { count: 0, resumed: false };
    if (this.presence === "away") {
      this.call<"ok">({ type: "status", status: "away" }).catch(() => {});
    }
    this.resume(0);
  }

  /**
   * Resumes every tracked room. A resume the server could not serve (UNAVAILABLE, BUSY, or any
   * other error on a socket still up) is retried on the same socket after `retryAfter` seconds,
   * or a backoff doubling from 1 s to 30 s: the rooms stay caught up with nothing lost.
   */
  private resume(attempt: number): void {
    const socket = this.link.socket;
    const rooms = this.rooms.resumePoints();
    this.call<"resumed">({ type: "resume", rooms }, { timeout: false }).then(
      (resumed) => {
        for (const { room, code } of this.settleResumed(resumed)) {
          this.emit("notice", `You are no longer in #${room.name} (${code}).`);
        }
        if (this.catchUp) this.catchUp.resumed = true;
        this.finishCatchUp();
      },
      (err: RequestError) => {
        // Dropped before the answer: the next hello resumes again.
        if (err.code === "OFFLINE" || err.code === "STOPPED") return;
        const delayMs = (err.retryAfter ?? Math.min(30, 2 ** attempt)) * 1000;
        this.clock.setTimeout(() => {
          if (this.link.socket === socket && this.catchUp && !this.catchUp.resumed) {
            this.resume(attempt + 1);
          }
        }, delayMs);
      },
    );
  }

  /** Takes in a `resumed` reply: refused rooms are dropped (and returned), the rest filled. */
  private settleResumed(resumed: ServerFrameOf<"resumed">): { room: TrackedRoom; code: string }[] {
    const refused: { room: TrackedRoom; code: string }[] = [];
    for (const { room, code } of resumed.refused) {
      const track = this.rooms.get(room);
      this.rooms.delete(room);
      if (track) refused.push({ room: { ...track, last: track.last ?? 0 }, code });
    }
    for (const { room, head } of resumed.rooms) {
      const track = this.rooms.get(room);
      if (track) this.rooms.settleTarget(track, head);
    }
    return refused;
  }

  /** Open once resumed and every gap is filled; then say so and flush the outbox. */
  private finishCatchUp(): void {
    const c = this.catchUp;
    if (!c?.resumed) return;
    if (this.rooms.filling) return;
    this.catchUp = undefined;
    this.link.markOpen();
    if (this.everOpen) {
      this.emit("status", { kind: "back-online", caughtUp: c.count, ...this.link.where() });
    } else {
      this.emit("status", { kind: "connected", user: this._user as UserRef, ...this.link.where() });
    }
    this.everOpen = true;
    for (const w of this.openWaiters.splice(0)) w.resolve();
    this.sender.pump();
  }

  /** A message or event in its place in seq order: settle it if it is ours, and pass it on. */
  private deliver(m: LogEntry): void {
    if (isEvent(m)) {
      this.emit("event", m, this.catchUp ? "catch-up" : "live");
      return;
    }
    if (m.from.id === this._user?.id) this.sender.settle(m.cid, m.seq);
    if (this.catchUp) this.catchUp.count++;
    this.emit("message", m, this.catchUp ? "catch-up" : "live");
  }

  /** The socket is gone: what hung on it is released, and unacked sends wait for the next one. */
  private detached(): void {
    this.catchUp = undefined;
    this.sender.reset();
    this.requests.failAll();
    this.rooms.dropHeld();
  }
}
