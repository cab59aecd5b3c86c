/**
 * Sends the outbox through a connection: one message in flight at a time, in the order typed;
 * a DM sealed afresh on every attempt; answers that mean "later" (rate limits, a busy server)
 * delay the retry, and refusals take the message out for good. Each message is settled once,
 * by its ack or by its own copy coming back first.
 */
import type { Envelope } from "../crypto/index.ts";
import type { ServerFrameOf } from "../protocol/index.ts";
import type { Clock } from "./clock.ts";
import { Outbox, type OutboxItem, type SendOptions, sendFields } from "./outbox.ts";
import type { RequestFrame } from "./pending-requests.ts";
import { asRequestError, type RequestError } from "./request-error.ts";

/** What the sender needs from its connection. */
export interface OutboxSenderHooks {
  /** True while the session is open and caught up: only then does anything go. */
  isOpen(): boolean;
  /** The socket in use, to notice a reconnect while a DM was being sealed. */
  socket(): WebSocket | undefined;
  /** Sends a frame on the current socket, with no timeout; OFFLINE if there is none. */
  send(frame: RequestFrame): Promise<ServerFrameOf<"ack">>;
  delivered(item: OutboxItem, seq: number): void;
  undeliverable(item: OutboxItem, error: RequestError): void;
  /** Takes a frame from the rate budget: 0 to go now, or the ms to wait before asking again. */
  pace?(): number;
}

export class OutboxSender {
  private readonly outbox = new Outbox();
  private sending: OutboxItem | undefined;
  private pumpTimer: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: OutboxSenderHooks,
  ) {}

  /** Queues a message and sends it if it may go now. */
  add(room: number, body: string, o: SendOptions = {}): OutboxItem {
    const item = this.outbox.add(room, body, this.clock.now(), o.cid, o.seal, o.file, o.reply);
    this.pump();
    return item;
  }

  /** Messages typed but not yet acknowledged, oldest first. */
  pending(): readonly OutboxItem[] {
    return this.outbox.list();
  }

  /** The socket is gone: whatever was in flight goes again, with the same cid, on the next. */
  reset(): void {
    this.sending = undefined;
    this.clock.clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.outbox.requeueAll();
  }

  pump(): void {
    if (!this.hooks.isOpen() || this.sending) return;
    const now = this.clock.now();
    const item = this.outbox.next(now);
    // Under the server's rate: a paste or a burst waits here rather than being refused.
    const paced = item ? (this.hooks.pace?.() ?? 0) : 0;
    if (!item || paced > 0) {
      const wake = paced > 0 ? now + paced : this.outbox.wakeAt();
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

  /** The server has this cid: forget it and say so, once. */
  settle(cid: string, seq: number): void {
    const item = this.outbox.remove(cid);
    if (item) this.hooks.delivered(item, seq);
  }

  /** One attempt at the outbox's head: seal it if it is a DM, send it, settle the outcome. */
  private async transmit(item: OutboxItem): Promise<void> {
    const ws = this.hooks.socket();
    let payload: ReturnType<typeof sendFields> | { envelope: Envelope; reply?: number } =
      sendFields(item);
    if (item.seal) {
      try {
        const envelope = await item.seal(item.cid);
        payload = item.reply === undefined ? { envelope } : { envelope, reply: item.reply };
      } catch (err) {
        this.failed(item, asRequestError(err));
        return;
      }
      // The socket dropped while sealing: the item was requeued and goes again on the next one.
      if (ws !== this.hooks.socket() || this.sending !== item) return;
    }
    this.hooks.send({ type: "send", room: item.room, cid: item.cid, ...payload }).then(
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
      this.hooks.undeliverable(item, err);
    }
    this.pump();
  }
}
