/**
 * The frames a connection sends on its current socket, within the rate the server announced
 * (frame-pacer.ts): requests wait for the budget and settle with the reply that quotes them
 * (pending-requests.ts); notifications (typing, read) over the rate are dropped, as they come
 * again. Without a greeted socket, a request fails OFFLINE at once.
 */
import type { Limits, ServerFrame, ServerFrameOf } from "../protocol/index.ts";
import type { Clock } from "./clock.ts";
import { FramePacer } from "./frame-pacer.ts";
import { PendingRequests, type ReplyType, type RequestFrame } from "./pending-requests.ts";
import { RequestError } from "./request-error.ts";

/** The socket the channel sends on, as the connection's link has it. */
export interface ChannelSocket {
  readonly socket: WebSocket | undefined;
  readonly greeted: boolean;
  readonly state: string;
}

export type Notification =
  | { type: "typing"; room: number }
  | { type: "read"; room: number; seq: number };

export class RequestChannel {
  /** Every frame this client sends keeps to the rate the server announced. */
  private readonly pacer = new FramePacer();
  private readonly requests: PendingRequests;

  constructor(
    private readonly link: ChannelSocket,
    private readonly clock: Clock,
    requestTimeoutMs: number,
  ) {
    this.requests = new PendingRequests(clock, requestTimeoutMs);
  }

  /** A new session's limits (from its hello). */
  configure(limits: Limits): void {
    this.pacer.configure(limits, this.clock.now());
  }

  /** Takes one frame's budget: 0 when it may go now, else the ms to wait (the outbox's pace). */
  pace(): number {
    return this.pacer.take(this.clock.now()) ? 0 : this.pacer.wait(this.clock.now());
  }

  /** Sends on the current socket now; OFFLINE if there is none or it drops before the reply. */
  call<T extends ReplyType>(
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

  /** A notification: sent now if open, dropped otherwise; no reply. */
  notify(frame: Notification): boolean {
    const ws = this.link.socket;
    if (this.link.state !== "open" || !ws) return false;
    if (!this.pacer.take(this.clock.now())) return false; // over the rate: typing and read come again
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** A reply (or error) quoting request `ref`. */
  answer(ref: string, frame: ServerFrame): void {
    this.requests.answer(ref, frame);
  }

  /** The socket is gone: every request waiting on it fails OFFLINE. */
  failAll(): void {
    this.requests.failAll();
  }
}
