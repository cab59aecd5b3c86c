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
 * ones: the terminal passes ones that trust a private CA), and the token in the `?token=` query
 * parameter, because browsers cannot set headers on a socket.
 */
import type { Envelope } from "../crypto/index.ts";
import {
  type ClientFrame,
  closeAdvice,
  decodeServerFrame,
  HISTORY_PAGE_MAX,
  type Limits,
  type Member,
  type Message,
  nameKey,
  type RoomKind,
  type RoomSummary,
  type ServerFrame,
  type ServerFrameOf,
  type UserRef,
} from "../protocol/index.ts";
import { type BackoffOptions, backoffDelay } from "./backoff.ts";
import { certificateProblem, certificateText } from "./certificate.ts";
import { type Clock, systemClock } from "./clock.ts";
import { Outbox, type OutboxItem, type Sealer } from "./outbox.ts";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export type StopReason = "closed" | "session-ended" | "refused";

/** `server` is set only with several nodes: the node connected to, or the one tried next. */
export type Status =
  | { kind: "connecting" }
  | { kind: "connected"; user: UserRef; server?: string }
  | { kind: "reconnecting"; attempt: number; delayMs: number; reason: string; server?: string }
  | { kind: "back-online"; caughtUp: number; server?: string }
  | { kind: "stopped"; reason: StopReason; message: string };

/** Server frames that answer no request: passed on to `push` listeners. */
export type PushFrame = ServerFrameOf<
  "presence" | "typing" | "notice" | "devices_changed" | "dm_opened"
>;

/** A room this session receives, with the last seq delivered. */
export interface TrackedRoom {
  id: number;
  kind: RoomKind;
  name: string;
  last: number;
}

/** How a message reached us: live, or while catching up after a (re)connect or a gap. */
export type Arrival = "live" | "catch-up";

/** Server error codes, plus the ones this layer adds for requests that never got an answer. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

export interface ConnectionEvents {
  message: (m: Message, arrival: Arrival) => void;
  status: (s: Status) => void;
  /** The server has the message: an ack, or its own copy came back first. */
  delivered: (item: OutboxItem, seq: number) => void;
  /** The server refused the message for good (not a member, invalid): it will not be retried. */
  undeliverable: (item: OutboxItem, error: RequestError) => void;
  /** Something worth telling the user that belongs to no request. */
  notice: (text: string) => void;
  /** Presence, typing, join/leave notices, device changes and newly opened DMs. */
  push: (frame: PushFrame) => void;
}

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
}

interface RoomTrack {
  id: number;
  kind: RoomKind;
  name: string;
  /** The last seq delivered to listeners; undefined until the first message sets a baseline. */
  last: number | undefined;
  /** Messages that arrived ahead of a hole, waiting for the hole to be filled. */
  held: Map<number, Message>;
  /** The server said the room reaches this seq: fill up to it. */
  target: number;
  filling: boolean;
}

interface Waiter {
  resolve: (f: ServerFrame) => void;
  reject: (e: RequestError) => void;
  timer: unknown;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type RequestFrame = DistributiveOmit<ClientFrame, "id">;

/** The frame types that answer a request. */
type ReplyType =
  | "rooms"
  | "joined"
  | "created"
  | "left"
  | "ack"
  | "resumed"
  | "history"
  | "members"
  | "pong"
  | "ok"
  | "dm"
  | "contacts"
  | "devices";

/** Messages kept for a room not tracked yet: a DM whose `dm_opened` is still on its way. */
const ORPHANS_PER_ROOM = 1000;
const ORPHAN_ROOMS = 50;

type Listeners = { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> };

export function webSocketUrl(server: string, token: string): string {
  const url = new URL("/ws", server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  return url.toString();
}

function describeClose(code: number): string {
  if (code === 1006) return "the connection was lost";
  if (code === 1001 || code === 1012) return "the server is restarting";
  if (code === 4000) return "the connection was too slow";
  if (code === 4001) return "too many open connections";
  return `the connection closed (${code})`;
}

export class Connection {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly WS: typeof WebSocket;
  private readonly fetch: typeof fetch;
  private readonly servers: readonly string[];
  /** Index into servers of the node in use, or tried next while reconnecting. */
  private node = 0;
  private readonly listeners: Listeners = {
    message: new Set(),
    status: new Set(),
    delivered: new Set(),
    undeliverable: new Set(),
    notice: new Set(),
    push: new Set(),
  };
  private ws: WebSocket | undefined;
  private greeted = false;
  private _state: ConnectionState = "idle";
  private attempt = 0;
  private everOpen = false;
  private nextId = 0;
  private readonly waiters = new Map<string, Waiter>();
  private readonly rooms = new Map<number, RoomTrack>();
  /** Messages of rooms not tracked (yet): a DM opened elsewhere replays before `dm_opened`. */
  private readonly orphans = new Map<number, Message[]>();
  private readonly outbox = new Outbox();
  private sending: OutboxItem | undefined;
  private catchUp: { count: number; resumed: boolean } | undefined;
  private openWaiters: { resolve: () => void; reject: (e: RequestError) => void }[] = [];
  private retryTimer: unknown;
  private connectTimer: unknown;
  private heartbeatTimer: unknown;
  private pumpTimer: unknown;
  private lastHeard = 0;
  private _user: UserRef | undefined;
  private _limits: Limits | undefined;
  private presence: "online" | "away" = "online";

  constructor(private readonly o: ConnectionOptions) {
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.WS = o.WebSocket ?? globalThis.WebSocket;
    this.fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.servers = typeof o.server === "string" ? [o.server] : [...o.server];
    if (this.servers.length === 0) throw new Error("Connection needs at least one server");
  }

  /** The node in use, or the one tried next while reconnecting. */
  get server(): string {
    return this.servers[this.node] as string;
  }

  /** `{ server }` when there are several nodes to tell apart, else nothing. */
  private where(): { server?: string } {
    return this.servers.length > 1 ? { server: this.server } : {};
  }

  get state(): ConnectionState {
    return this._state;
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
    if (this._state !== "idle") return;
    this.emit("status", { kind: "connecting" });
    this.connect();
  }

  /** Resolves once the session is open and caught up; rejects if it stops for good. */
  ready(): Promise<void> {
    if (this._state === "open") return Promise.resolve();
    if (this._state === "closed") {
      return Promise.reject(new RequestError("STOPPED", "The connection is closed."));
    }
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  /** Ends the session for good (the user quit). Unsent messages stay unsent. */
  close(): void {
    this.stop("closed", "Disconnected.");
  }

  // ---- Rooms ----

  /**
   * Joins a room by name. A room joined before resumes from its last seq; otherwise `from`
   * picks the start: the recent history (default), exactly seq > a number, or only new messages.
   */
  async join(name: string, { from }: { from?: number | "head" } = {}): Promise<RoomSummary> {
    for (;;) {
      try {
        const listed = await this.request<"rooms">({ type: "rooms" });
        const found = listed.rooms.find(
          (r) => r.kind === "room" && nameKey(r.name) === nameKey(name),
        );
        if (!found) throw new RequestError("ROOM_NOT_FOUND", `There is no room named "${name}".`);
        const start = from === "head" ? found.head : from;
        const track = this.rooms.get(found.id) ?? this.track(found, start);
        const reply = await this.request<"joined">(
          track.last === undefined
            ? { type: "join", room: found.id }
            : { type: "join", room: found.id, after: track.last },
        );
        this.settleTarget(track, reply.room.head);
        return reply.room;
      } catch (err) {
        // The socket dropped mid-way: joining is idempotent, so do it again once back.
        if (err instanceof RequestError && err.code === "OFFLINE") continue;
        throw err;
      }
    }
  }

  async create(name: string): Promise<RoomSummary> {
    const reply = await this.request<"created">({ type: "create", name });
    const track = this.track(reply.room, reply.room.head);
    this.settleTarget(track, reply.room.head);
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
        const track = this.rooms.get(reply.room.id) ?? this.adopt(reply.room, start);
        this.settleTarget(track, reply.room.head);
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
  ): Promise<{ messages: Message[]; more: boolean }> {
    const reply = await this.request<"history">({ type: "history", room, ...q });
    return { messages: reply.messages, more: reply.more };
  }

  /** Rooms this session receives, with the last seq seen in each. */
  joinedRooms(): TrackedRoom[] {
    return [...this.rooms.values()].map((t) => ({
      id: t.id,
      kind: t.kind,
      name: t.name,
      last: t.last ?? 0,
    }));
  }

  private track(room: RoomSummary, last: number | undefined): RoomTrack {
    const track: RoomTrack = {
      id: room.id,
      kind: room.kind,
      name: room.name,
      last,
      held: new Map(),
      target: 0,
      filling: false,
    };
    this.rooms.set(room.id, track);
    return track;
  }

  /** Tracks a room the server attached us to, taking in what arrived for it before. */
  private adopt(room: RoomSummary, last: number | undefined): RoomTrack {
    const track = this.track(room, last);
    const early = this.orphans.get(room.id) ?? [];
    this.orphans.delete(room.id);
    for (const m of early) this.accept(m);
    return track;
  }

  private settleTarget(track: RoomTrack, head: number): void {
    if (track.last === undefined) track.last = head;
    track.target = Math.max(track.target, head);
    if (track.last < track.target) void this.fill(track);
  }

  // ---- Sending ----

  /**
   * Queues a message; it goes now if online, or after the next reconnect, exactly once. With
   * `seal` (a DM) the body stays here and each attempt sends the envelope it makes; `cid` lets
   * a message held back by its sender go later under the id it was given first.
   */
  send(room: number, body: string, o: { seal?: Sealer; cid?: string } = {}): OutboxItem {
    const item = this.outbox.add(room, body, this.clock.now(), o.cid, o.seal);
    this.pump();
    return item;
  }

  /**
   * Sets this session's presence. The server keeps it per socket, so it is sent again after
   * every reconnect; while offline it is only remembered.
   */
  async setPresence(status: "online" | "away"): Promise<void> {
    this.presence = status;
    if (this._state === "open") await this.call<"ok">({ type: "status", status });
  }

  get presenceStatus(): "online" | "away" {
    return this.presence;
  }

  /** A notification (typing, read): sent now if open, dropped otherwise; no reply. */
  notify(
    frame: { type: "typing"; room: number } | { type: "read"; room: number; seq: number },
  ): boolean {
    if (this._state !== "open" || !this.ws) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Messages typed but not yet acknowledged, oldest first. */
  pending(): readonly OutboxItem[] {
    return this.outbox.list();
  }

  private pump(): void {
    if (this._state !== "open" || this.sending) return;
    const now = this.clock.now();
    const item = this.outbox.next(now);
    if (!item) {
      const wake = this.outbox.wakeAt();
      if (wake !== undefined && this.pumpTimer === undefined) {
        this.pumpTimer = this.clock.setTimeout(
          () => {
            this.pumpTimer = undefined;
            this.pump();
          },
          Math.max(0, wake - now),
        );
      }
      return;
    }
    item.state = "sending";
    item.attempts++;
    this.sending = item;
    void this.transmit(item);
  }

  /** One attempt at the outbox's head: seal it if it is a DM, send it, settle the outcome. */
  private async transmit(item: OutboxItem): Promise<void> {
    const ws = this.ws;
    let payload: { body: string } | { envelope: Envelope } = { body: item.body };
    if (item.seal) {
      try {
        payload = { envelope: await item.seal(item.cid) };
      } catch (err) {
        this.failed(item, asRequestError(err));
        return;
      }
      // The socket dropped while sealing: the item was requeued and goes again on the next one.
      if (ws !== this.ws || this.sending !== item) return;
    }
    this.call<"ack">(
      { type: "send", room: item.room, cid: item.cid, ...payload },
      { timeout: false },
    ).then(
      (ack) => {
        if (this.sending === item) this.sending = undefined;
        this.settle(item.cid, ack.seq);
        this.pump();
      },
      (err: RequestError) => this.failed(item, err),
    );
  }

  private failed(item: OutboxItem, err: RequestError): void {
    if (this.sending === item) this.sending = undefined;
    if (err.code === "OFFLINE" || err.code === "STOPPED") return; // retried on reconnect
    if (["RATE_LIMITED", "BUSY", "UNAVAILABLE", "TIMEOUT"].includes(err.code)) {
      item.state = "queued";
      item.notBefore = this.clock.now() + (err.retryAfter ?? 1) * 1000;
    } else if (this.outbox.remove(item.cid)) {
      this.emit("undeliverable", item, err);
    }
    this.pump();
  }

  /** The server has this cid: forget it and say so, once. */
  private settle(cid: string, seq: number): void {
    const item = this.outbox.remove(cid);
    if (item) this.emit("delivered", item, seq);
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
    { timeout = true } = {},
  ): Promise<ServerFrameOf<T>> {
    const ws = this.ws;
    if (!ws || !this.greeted) {
      return Promise.reject(new RequestError("OFFLINE", "Not connected."));
    }
    const id = `c${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = timeout
        ? this.clock.setTimeout(() => {
            this.waiters.delete(id);
            reject(new RequestError("TIMEOUT", "The server did not answer."));
          }, this.o.requestTimeoutMs ?? 30_000)
        : undefined;
      this.waiters.set(id, { resolve: resolve as (f: ServerFrame) => void, reject, timer });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  // ---- The socket ----

  private connect(): void {
    this._state = "connecting";
    this.greeted = false;
    let ws: WebSocket;
    try {
      ws = new this.WS(webSocketUrl(this.server, this.o.token));
    } catch {
      this.stop("refused", `The server address ${this.server} is not valid.`);
      return;
    }
    this.ws = ws;
    let opened = false;
    this.connectTimer = this.clock.setTimeout(
      () => this.drop(ws, "the server did not answer"),
      this.o.connectTimeoutMs ?? 10_000,
    );
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      this.lastHeard = this.clock.now();
      this.receive(typeof e.data === "string" ? e.data : "");
    };
    ws.onerror = () => {};
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      if (!opened) {
        void this.refusedOrDown(ws);
        return;
      }
      if (closeAdvice(e.code) === "stop") {
        if (e.code >= 4500) this.stop("session-ended", "Your session has ended: log in again.");
        else this.stop("refused", `The server closed the connection (${e.code} ${e.reason}).`);
        return;
      }
      this.drop(ws, describeClose(e.code));
    };
  }

  /**
   * The socket never opened: a refused token, an untrusted certificate and a server that is
   * down all look the same to a WebSocket, so ask over HTTP which it was.
   */
  private async refusedOrDown(ws: WebSocket): Promise<void> {
    const server = this.server;
    let status = 0;
    try {
      const res = await this.fetch(new URL("/api/me", server), {
        headers: { authorization: `Bearer ${this.o.token}` },
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      // A certificate we do not trust will not become trusted by retrying: stop and say why.
      const problem = certificateProblem(err);
      if (problem && ws === this.ws) {
        this.stop("refused", certificateText(server, problem));
        return;
      }
      // Otherwise unreachable: treated as down below.
    }
    if (ws !== this.ws) return;
    if (status === 401) this.stop("session-ended", "Your session has ended: log in again.");
    else this.drop(ws, status === 0 ? "the server cannot be reached" : "the server refused");
  }

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
      case "msg": {
        const { type: _, ...m } = f;
        this.accept(m);
        break;
      }
      case "gap": {
        const track = this.rooms.get(f.room);
        if (track) {
          track.target = Math.max(track.target, f.to);
          void this.fill(track);
        }
        break;
      }
      case "error":
        if (f.ref === undefined) this.emit("notice", f.message);
        else this.answer(f.ref, f);
        break;
      case "dm_opened":
        if (!this.rooms.has(f.room.id)) this.settleTarget(this.adopt(f.room, 0), f.room.head);
        this.emit("push", f);
        break;
      case "presence":
      case "typing":
      case "notice":
      case "devices_changed":
        this.emit("push", f);
        break;
      default:
        // Replies quote a request; anything else is a push this client does not use yet.
        if ("ref" in f) this.answer(f.ref, f);
    }
  }

  private answer(ref: string, f: ServerFrame): void {
    const waiter = this.waiters.get(ref);
    if (!waiter) return;
    this.waiters.delete(ref);
    if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
    if (f.type === "error") waiter.reject(new RequestError(f.code, f.message, f.retryAfter));
    else waiter.resolve(f);
  }

  private greet(hello: ServerFrameOf<"hello">): void {
    this.clock.clearTimeout(this.connectTimer);
    this.greeted = true;
    this.attempt = 0;
    this._user = hello.user;
    this._limits = hello.limits;
    this.catchUp = { count: 0, resumed: false };
    this.startHeartbeat(hello.limits.heartbeatSeconds * 1000);
    if (this.presence === "away") {
      this.call<"ok">({ type: "status", status: "away" }).catch(() => {});
    }
    // A room still joining (no baseline yet) is not resumed: its join is retried instead.
    const rooms = [...this.rooms.values()]
      .filter((t) => t.last !== undefined)
      .map((t) => ({ room: t.id, after: t.last as number }));
    this.call<"resumed">({ type: "resume", rooms }, { timeout: false }).then(
      (resumed) => {
        for (const { room, code } of resumed.refused) {
          const track = this.rooms.get(room);
          this.rooms.delete(room);
          if (track) this.emit("notice", `You are no longer in #${track.name} (${code}).`);
        }
        for (const { room, head } of resumed.rooms) {
          const track = this.rooms.get(room);
          if (track) this.settleTarget(track, head);
        }
        if (this.catchUp) this.catchUp.resumed = true;
        this.finishCatchUp();
      },
      () => {}, // dropped before the answer: the next hello resumes again
    );
  }

  /** Open once resumed and every gap is filled; then say so and flush the outbox. */
  private finishCatchUp(): void {
    const c = this.catchUp;
    if (!c?.resumed) return;
    for (const t of this.rooms.values()) if (t.filling) return;
    this.catchUp = undefined;
    this._state = "open";
    if (this.everOpen) {
      this.emit("status", { kind: "back-online", caughtUp: c.count, ...this.where() });
    } else {
      this.emit("status", { kind: "connected", user: this._user as UserRef, ...this.where() });
    }
    this.everOpen = true;
    for (const w of this.openWaiters.splice(0)) w.resolve();
    this.pump();
  }

  /** Every message passes here: duplicates are dropped, and nothing is shown out of order. */
  private accept(m: Message): void {
    const track = this.rooms.get(m.room);
    if (!track) {
      this.keepOrphan(m);
      return;
    }
    if (track.last === undefined) track.last = m.seq - 1;
    if (m.seq <= track.last) return;
    if (m.seq > track.last + 1) {
      track.held.set(m.seq, m);
      void this.fill(track);
      return;
    }
    this.deliver(track, m);
    for (let next = track.held.get(track.last + 1); next; next = track.held.get(track.last + 1)) {
      track.held.delete(next.seq);
      this.deliver(track, next);
    }
    for (const seq of track.held.keys()) if (seq <= track.last) track.held.delete(seq);
  }

  private keepOrphan(m: Message): void {
    const list = this.orphans.get(m.room);
    if (list) {
      if (list.length < ORPHANS_PER_ROOM) list.push(m);
    } else if (this.orphans.size < ORPHAN_ROOMS) {
      this.orphans.set(m.room, [m]);
    }
  }

  private deliver(track: RoomTrack, m: Message): void {
    track.last = m.seq;
    if (m.from.id === this._user?.id) this.settle(m.cid, m.seq);
    if (this.catchUp) this.catchUp.count++;
    this.emit("message", m, this.catchUp ? "catch-up" : "live");
  }

  /** Pages history into a hole (a gap frame, or a seq that skipped ahead) until it is closed. */
  private async fill(track: RoomTrack): Promise<void> {
    if (track.filling) return;
    track.filling = true;
    try {
      while (
        this.rooms.get(track.id) === track &&
        track.last !== undefined &&
        (track.held.size > 0 || track.last < track.target)
      ) {
        const before = track.last;
        const page = await this.call<"history">({
          type: "history",
          room: track.id,
          after: track.last,
          limit: HISTORY_PAGE_MAX,
        });
        for (const m of page.messages) this.accept(m);
        if (track.last === before && !page.more) {
          // The store has nothing in the hole: show what we hold rather than stall forever.
          const held = [...track.held.values()].sort((a, b) => a.seq - b.seq);
          track.held.clear();
          for (const m of held) if (m.seq > (track.last ?? 0)) this.deliver(track, m);
          track.target = Math.min(track.target, track.last ?? 0);
        }
      }
    } catch {
      // Offline: the next resume starts from the last delivered seq and fills again.
    } finally {
      track.filling = false;
      this.finishCatchUp();
    }
  }

  private startHeartbeat(heartbeatMs: number): void {
    this.clock.clearTimeout(this.heartbeatTimer);
    const ws = this.ws;
    const tick = () => {
      if (ws !== this.ws) return;
      const idle = this.clock.now() - this.lastHeard;
      // Bun and browsers answer the server's pings themselves, so silence here means a dead
      // link (a laptop lid, a pulled cable) that TCP would take minutes to notice.
      if (!ws) return;
      if (idle >= heartbeatMs * 1.5) return this.drop(ws, "no answer from the server");
      if (idle >= heartbeatMs / 2) ws.send(JSON.stringify({ type: "ping", id: "hb" }));
      this.heartbeatTimer = this.clock.setTimeout(tick, heartbeatMs / 2);
    };
    this.heartbeatTimer = this.clock.setTimeout(tick, heartbeatMs / 2);
  }

  private detach(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.greeted = false;
    this.catchUp = undefined;
    this.sending = undefined;
    for (const t of [this.connectTimer, this.heartbeatTimer, this.pumpTimer, this.retryTimer]) {
      this.clock.clearTimeout(t);
    }
    this.pumpTimer = undefined;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(1000);
      } catch {
        // Already closed.
      }
    }
    for (const [id, w] of this.waiters) {
      this.clock.clearTimeout(w.timer);
      w.reject(new RequestError("OFFLINE", "The connection was lost."));
      this.waiters.delete(id);
    }
    this.outbox.requeueAll();
    // Anything held past a hole comes again in the next resume.
    for (const t of this.rooms.values()) t.held.clear();
    this.orphans.clear();
  }

  /** The link is gone but the session is fine: try again after a backoff delay. */
  private drop(ws: WebSocket, reason: string): void {
    if (ws !== this.ws || this._state === "closed") return;
    this.detach();
    this.attempt++;
    // The next node in turn: a node that just failed is the least likely to answer now.
    this.node = (this.node + 1) % this.servers.length;
    const delayMs = backoffDelay(this.attempt, this.random, this.o.backoff);
    this._state = "reconnecting";
    this.emit("status", {
      kind: "reconnecting",
      attempt: this.attempt,
      delayMs,
      reason,
      ...this.where(),
    });
    this.retryTimer = this.clock.setTimeout(() => {
      if (this._state === "reconnecting") this.connect();
    }, delayMs);
  }

  private stop(reason: StopReason, message: string): void {
    if (this._state === "closed") return;
    this.detach();
    this._state = "closed";
    for (const w of this.openWaiters.splice(0)) w.reject(new RequestError("STOPPED", message));
    this.emit("status", { kind: "stopped", reason, message });
  }
}

function asRequestError(err: unknown): RequestError {
  if (err instanceof RequestError) return err;
  const code = (err as { code?: unknown })?.code;
  return new RequestError(
    typeof code === "string" ? code : "SEAL_FAILED",
    err instanceof Error ? err.message : String(err),
  );
}
