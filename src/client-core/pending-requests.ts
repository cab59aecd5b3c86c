/**
 * Request/reply correlation for the connection layer: each request goes out with a fresh id,
 * and the reply (or error) that quotes it as `ref` settles it. Requests die with their socket.
 */
import type { ClientFrame, ServerFrame, ServerFrameOf } from "../protocol/index.ts";
import type { Clock } from "./clock.ts";
import { RequestError } from "./request-error.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RequestFrame = DistributiveOmit<ClientFrame, "id">;

/** The frame types that answer a request. */
export type ReplyType =
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
  | "devices"
  | "backup"
  | "invite"
  | "invites"
  | "audit"
  | "user_invites"
  | "group_state"
  | "group_lookup";

interface Waiter {
  resolve: (f: ServerFrame) => void;
  reject: (e: RequestError) => void;
  timer: unknown;
}

export class PendingRequests {
  private nextId = 0;
  private readonly waiters = new Map<string, Waiter>();

  constructor(
    private readonly clock: Clock,
    /** Give up on a request with no reply within this many ms (unless sent without timeout). */
    private readonly timeoutMs: number,
  ) {}

  /** Sends on `ws` now and resolves with the reply that quotes it. */
  call<T extends ReplyType>(
    ws: WebSocket,
    frame: RequestFrame,
    { timeout = true } = {},
  ): Promise<ServerFrameOf<T>> {
    const id = `c${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = timeout
        ? this.clock.setTimeout(() => {
            this.waiters.delete(id);
            reject(new RequestError("TIMEOUT", "The server did not answer."));
          }, this.timeoutMs)
        : undefined;
      this.waiters.set(id, { resolve: resolve as (f: ServerFrame) => void, reject, timer });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Settles the request `ref` names, if it is still waiting: an error frame rejects it. */
  answer(ref: string, f: ServerFrame): void {
    const waiter = this.waiters.get(ref);
    if (!waiter) return;
    this.waiters.delete(ref);
    if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
    if (f.type === "error") waiter.reject(new RequestError(f.code, f.message, f.retryAfter));
    else waiter.resolve(f);
  }

  /** The socket is gone: no reply will come, so every waiting request fails with OFFLINE. */
  failAll(): void {
    for (const [id, w] of this.waiters) {
      this.clock.clearTimeout(w.timer);
      w.reject(new RequestError("OFFLINE", "The connection was lost."));
      this.waiters.delete(id);
    }
  }
}
