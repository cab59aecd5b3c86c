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
 * failover (socket-link.ts), requests within the rate (request-channel.ts), joining rooms
 * (room-joiner.ts), per-room ordering and gap filling (room-tracker.ts), the catch-up after
 * each hello (catch-up.ts) and the outbox's sending (outbox-sender.ts).
 */
import {
  decodeServerFrame,
  isEvent,
  type Limits,
  type LogEntry,
  type Member,
  type RoomSummary,
  type ServerFrameOf,
  type UserRef,
} from "../protocol/index.ts";
import { CatchUp } from "./catch-up.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type ConnectionEvents, type ConnectionState, isPush } from "./connection-events.ts";
import type { ConnectionOptions } from "./connection-options.ts";
import { Listeners } from "./listeners.ts";
import type { ChangeRequest } from "./message-state.ts";
import type { OutboxItem, SendOptions } from "./outbox.ts";
import { OutboxSender } from "./outbox-sender.ts";
import type { ReplyType, RequestFrame } from "./pending-requests.ts";
import { type Notification, RequestChannel } from "./request-channel.ts";
import { RequestError } from "./request-error.ts";
import { RoomJoiner } from "./room-joiner.ts";
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
export type { ConnectionOptions } from "./connection-options.ts";
export { RequestError } from "./request-error.ts";
export type { TrackedRoom } from "./room-tracker.ts";
export { webSocketUrl } from "./socket-link.ts";

export class Connection {
  private readonly clock: Clock;
  private readonly link: SocketLink;
  private readonly channel: RequestChannel;
  private readonly listeners = new Listeners<ConnectionEvents>();
  private everOpen = false;
  private readonly rooms = new RoomTracker({
    history: (q) => this.channel.call<"history">({ type: "history", ...q }),
    deliver: (m) => this.deliver(m),
    filled: () => this.catchUp.check(),
  });
  private readonly joiner = new RoomJoiner(this.rooms, {
    request: (frame) => this.request(frame),
    call: (frame, options) => this.channel.call(frame, options),
    ready: () => this.ready(),
  });
  private readonly sender: OutboxSender;
  private readonly catchUp: CatchUp;
  private _user: UserRef | undefined;
  private _limits: Limits | undefined;
  private presence: "online" | "away" = "online";

  constructor(o: ConnectionOptions) {
    this.clock = o.clock ?? systemClock;
    const servers = typeof o.server === "string" ? [o.server] : [...o.server];
    if (servers.length === 0) throw new Error("Connection needs at least one server");
    this.catchUp = new CatchUp({
      clock: this.clock,
      socket: () => this.link.socket,
      resumePoints: () => this.rooms.resumePoints(),
      resume: (rooms) =>
        this.channel.call<"resumed">({ type: "resume", rooms }, { timeout: false }),
      settleResumed: (resumed) => this.joiner.settleResumed(resumed),
      filling: () => this.rooms.filling,
      notice: (text) => this.emit("notice", text),
      caughtUp: (count) => this.caughtUp(count),
    });
    this.sender = new OutboxSender(this.clock, {
      isOpen: () => this.link.state === "open",
      socket: () => this.link.socket,
      send: (frame) => this.channel.call<"ack">(frame, { timeout: false }),
      delivered: (item, seq) => this.emit("delivered", item, seq),
      undeliverable: (item, err) => this.emit("undeliverable", item, err),
      pace: () => this.channel.pace(),
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
          if (s.kind === "stopped") this.catchUp.fail(new RequestError("STOPPED", s.message));
          this.emit("status", s);
        },
      },
    );
    this.channel = new RequestChannel(this.link, this.clock, o.requestTimeoutMs ?? 30_000);
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
    return this.listeners.on(event, fn);
  }

  private emit<K extends keyof ConnectionEvents>(
    event: K,
    ...args: Parameters<ConnectionEvents[K]>
  ): void {
    this.listeners.emit(event, ...args);
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
    return this.catchUp.waitOpen();
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
  join(name: string, o: { from?: number | "head" } = {}): Promise<RoomSummary> {
    return this.joiner.join(name, o);
  }

  /**
   * Attaches rooms and DMs the user is already a member of (from `listRooms`) with one
   * `resume`, each from its newest `recent` messages, instead of a request or two per room: a
   * client starting up in hundreds of rooms stays within the rate limit. Rooms tracked already
   * are left as they are. Resolves with the rooms the server refused (no longer a member).
   */
  attachAll(
    rooms: readonly RoomSummary[],
    { recent = 50 }: { recent?: number } = {},
  ): Promise<{ room: TrackedRoom; code: string }[]> {
    return this.joiner.attachAll(rooms, recent);
  }

  /** True while this connection is creating a room of this name (its room_created is ours). */
  isCreating(name: string): boolean {
    return this.joiner.isCreating(name);
  }

  create(name: string, visibility?: "public" | "private"): Promise<RoomSummary> {
    return this.joiner.create(name, visibility);
  }

  /**
   * Opens the DM with a user (creating it on first use) and receives it from then on, like
   * join(): a DM tracked before resumes from its last seq; `from` picks the start otherwise.
   */
  openDm(user: string, o: { from?: number | "head" } = {}): Promise<RoomSummary> {
    return this.joiner.openDm(user, o);
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
    c: ChangeRequest,
    cid: string = crypto.randomUUID(),
  ): Promise<ServerFrameOf<"ack">> {
    return this.request<"ack">({ type: "event", room, cid, ...c });
  }

  /** A room this session receives, as the server described it when it was joined or attached. */
  summaryOf(room: number): RoomSummary | undefined {
    return this.rooms.get(room)?.summary;
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
    if (this.link.state === "open") await this.channel.call<"ok">({ type: "status", status });
  }

  get presenceStatus(): "online" | "away" {
    return this.presence;
  }

  /** A notification (typing, read): sent now if open, dropped otherwise; no reply. */
  notify(frame: Notification): boolean {
    return this.channel.notify(frame);
  }

  /** Messages typed but not yet acknowledged, oldest first. */
  pending(): readonly OutboxItem[] {
    return this.sender.pending();
  }

  // ---- Requests ----

  /** Waits until the session is open, then sends and resolves with the reply that quotes it. */
  async request<T extends ReplyType>(frame: RequestFrame): Promise<ServerFrameOf<T>> {
    await this.ready();
    return this.channel.call<T>(frame);
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
        else this.channel.answer(f.ref, f);
        break;
      case "dm_opened":
        this.joiner.opened(f.room);
        this.emit("push", f);
        break;
      default:
        if (isPush(f)) this.emit("push", f);
        // Replies quote a request; anything else is a push this client does not use yet.
        else if ("ref" in f) this.channel.answer(f.ref, f);
    }
  }

  private greet(hello: ServerFrameOf<"hello">): void {
    this.link.greet(hello.limits.heartbeatSeconds * 1000);
    this._user = hello.user;
    this._limits = hello.limits;
    this.channel.configure(hello.limits);
    this.catchUp.begin();
    if (this.presence === "away") {
      this.channel.call<"ok">({ type: "status", status: "away" }).catch(() => {});
    }
    this.catchUp.resume();
  }

  /** Caught up: open now; say so and flush the outbox. */
  private caughtUp(count: number): void {
    this.link.markOpen();
    if (this.everOpen) {
      this.emit("status", { kind: "back-online", caughtUp: count, ...this.link.where() });
    } else {
      this.emit("status", { kind: "connected", user: this._user as UserRef, ...this.link.where() });
    }
    this.everOpen = true;
    this.sender.pump();
  }

  /** A message or event in its place in seq order: settle it if it is ours, and pass it on. */
  private deliver(m: LogEntry): void {
    if (isEvent(m)) {
      this.emit("event", m, this.catchUp.active ? "catch-up" : "live");
      return;
    }
    if (m.from.id === this._user?.id) this.sender.settle(m.cid, m.seq);
    this.catchUp.counted();
    this.emit("message", m, this.catchUp.active ? "catch-up" : "live");
  }

  /** The socket is gone: what hung on it is released, and unacked sends wait for the next one. */
  private detached(): void {
    this.catchUp.end();
    this.sender.reset();
    this.channel.failAll();
    this.rooms.dropHeld();
  }
}
