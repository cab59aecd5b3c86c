/**
 * The socket under a connection: one WebSocket at a time to one node of the deployment, given
 * up on when it does not say hello in time, watched by a heartbeat once it has, and replaced
 * after a backoff delay, on the next node in turn, when it drops. A close the server marks
 * "stop", a refused token or an untrusted certificate ends it for good.
 *
 * Browsers cannot set headers on a socket, and a URL ends up in proxies' logs, so the long-lived
 * token never goes in one: each connection first trades it (in a header) for a single-use
 * ticket that expires in seconds, and opens `/ws?ticket=`. A program on Bun (a bot, whose API
 * token is no session a ticket could name) may instead send the token in the upgrade's header.
 */
import { CLOSE, closeAdvice } from "../protocol/index.ts";
import { type BackoffOptions, backoffDelay } from "./backoff.ts";
import { certificateProblem, certificateText } from "./certificate.ts";
import type { Clock } from "./clock.ts";
import type { ConnectionState, Status, StopReason } from "./connection-events.ts";

export interface SocketLinkOptions {
  /** The nodes of one deployment, tried in this order; at least one. */
  servers: readonly string[];
  token: string;
  clock: Clock;
  random: () => number;
  backoff?: BackoffOptions;
  /** Give up on a socket that has not said hello within this many ms. @default 10000 */
  connectTimeoutMs?: number;
  WebSocket: typeof WebSocket;
  fetch: typeof fetch;
  /**
   * How the upgrade is authenticated: a single-use ticket in the URL (browsers), or the token in
   * an Authorization header (Bun's WebSocket only). @default "ticket"
   */
  upgradeAuth?: "ticket" | "header";
}

/** What the link tells its connection. */
export interface SocketLinkHooks {
  /** A text frame from the socket in use. */
  frame(data: string): void;
  /** The socket in use is gone: release everything that hung on it. */
  detached(): void;
  /** Reconnecting after a delay, or stopped for good. */
  status(s: Extract<Status, { kind: "reconnecting" | "stopped" }>): void;
}

export function webSocketUrl(server: string, ticket?: string): string {
  const url = new URL("/ws", server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (ticket !== undefined) url.searchParams.set("ticket", ticket);
  return url.toString();
}

/** Bun's WebSocket takes headers as a second argument; browsers' does not. */
type HeaderWebSocket = new (url: string, init: { headers: Record<string, string> }) => WebSocket;

type TicketOutcome =
  | { kind: "ticket"; ticket: string }
  | { kind: "ended" }
  | { kind: "stop"; message: string }
  | { kind: "down"; reason: string };

function describeClose(code: number): string {
  if (code === CLOSE.ABNORMAL) return "the connection was lost";
  if (code === CLOSE.GOING_AWAY || code === CLOSE.SERVICE_RESTART)
    return "the server is restarting";
  return `the connection closed (${code})`;
}

export class SocketLink {
  /** Index into servers of the node in use, or tried next while reconnecting. */
  private node = 0;
  private ws: WebSocket | undefined;
  private _greeted = false;
  private _state: ConnectionState = "idle";
  private attempt = 0;
  private retryTimer: unknown;
  private connectTimer: unknown;
  private heartbeatTimer: unknown;
  private lastHeard = 0;
  /** Counts connect() calls, so a ticket that arrives after a newer attempt is dropped. */
  private attempts = 0;

  constructor(
    private readonly o: SocketLinkOptions,
    private readonly hooks: SocketLinkHooks,
  ) {}

  /** The node in use, or the one tried next while reconnecting. */
  get server(): string {
    return this.o.servers[this.node] as string;
  }

  /** `{ server }` when there are several nodes to tell apart, else nothing. */
  where(): { server?: string } {
    return this.o.servers.length > 1 ? { server: this.server } : {};
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** The socket in use, if any; it may not have said hello yet. */
  get socket(): WebSocket | undefined {
    return this.ws;
  }

  /** True once the socket in use has said hello. */
  get greeted(): boolean {
    return this._greeted;
  }

  /** The socket in use said hello: it is live, so the backoff starts over. */
  greet(heartbeatMs: number): void {
    this.o.clock.clearTimeout(this.connectTimer);
    this._greeted = true;
    this.attempt = 0;
    this.startHeartbeat(heartbeatMs);
  }

  /** The session on this socket is resumed and caught up. */
  markOpen(): void {
    this._state = "open";
  }

  connect(): void {
    this._state = "connecting";
    this._greeted = false;
    const attempt = ++this.attempts;
    if (this.o.upgradeAuth === "header") {
      this.open(undefined);
      return;
    }
    void this.ticket(this.server).then((t) => {
      if (attempt !== this.attempts || this._state !== "connecting") return;
      if (t.kind === "ticket") this.open(t.ticket);
      else if (t.kind === "ended")
        this.stop("session-ended", "Your session has ended: log in again.");
      else if (t.kind === "stop") this.stop("refused", t.message);
      else this.drop(undefined, t.reason);
    });
  }

  /** Trades the session token, sent in a header, for a single-use WebSocket ticket. */
  private async ticket(server: string): Promise<TicketOutcome> {
    let url: URL;
    try {
      url = new URL("/api/ws-ticket", server);
    } catch {
      return { kind: "stop", message: `The server address ${server} is not valid.` };
    }
    try {
      const res = await this.o.fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${this.o.token}` },
      });
      if (res.status === 401) return { kind: "ended" };
      if (!res.ok) {
        await res.body?.cancel();
        return { kind: "down", reason: "the server refused" };
      }
      const body = (await res.json()) as { ticket?: unknown };
      if (typeof body.ticket !== "string") return { kind: "down", reason: "the server refused" };
      return { kind: "ticket", ticket: body.ticket };
    } catch (err) {
      // A certificate we do not trust will not become trusted by retrying: stop and say why.
      const problem = certificateProblem(err);
      if (problem) return { kind: "stop", message: certificateText(server, problem) };
      return { kind: "down", reason: "the server cannot be reached" };
    }
  }

  /** Opens the socket with a ticket, or with no ticket and the token in a header. */
  private open(ticket: string | undefined): void {
    let ws: WebSocket;
    try {
      const url = webSocketUrl(this.server, ticket);
      ws =
        ticket === undefined
          ? new (this.o.WebSocket as unknown as HeaderWebSocket)(url, {
              headers: { authorization: `Bearer ${this.o.token}` },
            })
          : new this.o.WebSocket(url);
    } catch {
      this.stop("refused", `The server address ${this.server} is not valid.`);
      return;
    }
    this.ws = ws;
    let opened = false;
    this.connectTimer = this.o.clock.setTimeout(
      () => this.drop(ws, "the server did not answer"),
      this.o.connectTimeoutMs ?? 10_000,
    );
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      this.lastHeard = this.o.clock.now();
      this.hooks.frame(typeof e.data === "string" ? e.data : "");
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
      const res = await this.o.fetch(new URL("/api/me", server), {
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

  private startHeartbeat(heartbeatMs: number): void {
    const clock = this.o.clock;
    clock.clearTimeout(this.heartbeatTimer);
    const ws = this.ws;
    const tick = () => {
      if (ws !== this.ws) return;
      const idle = clock.now() - this.lastHeard;
      // Bun and browsers answer the server's pings themselves, so silence here means a dead
      // link (a laptop lid, a pulled cable) that TCP would take minutes to notice.
      if (!ws) return;
      if (idle >= heartbeatMs * 1.5) return this.drop(ws, "no answer from the server");
      if (idle >= heartbeatMs / 2) ws.send(JSON.stringify({ type: "ping", id: "hb" }));
      this.heartbeatTimer = clock.setTimeout(tick, heartbeatMs / 2);
    };
    this.heartbeatTimer = clock.setTimeout(tick, heartbeatMs / 2);
  }

  private detach(): void {
    const ws = this.ws;
    this.ws = undefined;
    this._greeted = false;
    for (const t of [this.connectTimer, this.heartbeatTimer, this.retryTimer]) {
      this.o.clock.clearTimeout(t);
    }
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(CLOSE.NORMAL);
      } catch {
        // Already closed.
      }
    }
    this.hooks.detached();
  }

  /** The link is gone but the session is fine: try again after a backoff delay. */
  private drop(ws: WebSocket | undefined, reason: string): void {
    if (ws !== this.ws || this._state === "closed") return;
    this.detach();
    this.attempt++;
    // The next node in turn: a node that just failed is the least likely to answer now.
    this.node = (this.node + 1) % this.o.servers.length;
    const delayMs = backoffDelay(this.attempt, this.o.random, this.o.backoff);
    this._state = "reconnecting";
    this.hooks.status({
      kind: "reconnecting",
      attempt: this.attempt,
      delayMs,
      reason,
      ...this.where(),
    });
    this.retryTimer = this.o.clock.setTimeout(() => {
      if (this._state === "reconnecting") this.connect();
    }, delayMs);
  }

  /** Ends the session for good. */
  stop(reason: StopReason, message: string): void {
    if (this._state === "closed") return;
    this.detach();
    this._state = "closed";
    this.hooks.status({ kind: "stopped", reason, message });
  }
}
