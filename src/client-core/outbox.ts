/**
 * Messages the user has typed but the server has not acknowledged. Each keeps the client id (cid)
 * it was given when typed, so a retry after a reconnect is recognised by the server as the same
 * message. One message is in flight at a time, which keeps them in the order they were typed.
 */

import type { Envelope } from "../crypto/index.ts";

export type OutboxState = "queued" | "sending";

/**
 * Makes the sealed form of a DM for one attempt. Called again on every retry with the same cid
 * (the envelope id must equal it); re-sealing is fine, and picks up devices added meanwhile.
 */
export type Sealer = (cid: string) => Promise<Envelope>;

export interface OutboxItem {
  readonly cid: string;
  readonly room: number;
  /** The text as typed. For a DM it stays on this device: only `seal`'s envelope is sent. */
  readonly body: string;
  /** Present for a DM: the message goes as an envelope, never as a body. */
  readonly seal?: Sealer;
  /** A file uploaded to this (public) room, shared by the message; body is then its caption. */
  readonly file?: string;
  /** The seq of the message (in the same room) this one replies to. */
  readonly reply?: number;
  readonly createdAt: number;
  state: OutboxState;
  /** Not sent again before this time (ms): set by RATE_LIMITED and BUSY answers. */
  notBefore: number;
  attempts: number;
}

/** How a message may be queued: sealed (a DM), under a given cid, sharing a file (a room). */
export interface SendOptions {
  seal?: Sealer;
  cid?: string;
  file?: string;
  /** The seq of the message this one replies to. */
  reply?: number;
}

/** The send frame's content for an unsealed item: its body, or its file and any caption. */
export function sendFields(
  item: OutboxItem,
): ({ body: string } | { body?: string; file: string }) & { reply?: number } {
  const reply = item.reply === undefined ? {} : { reply: item.reply };
  if (item.file === undefined) return { body: item.body, ...reply };
  return item.body === ""
    ? { file: item.file, ...reply }
    : { body: item.body, file: item.file, ...reply };
}

export class Outbox {
  private readonly items: OutboxItem[] = [];

  add(
    room: number,
    body: string,
    now: number,
    cid: string = crypto.randomUUID(),
    seal?: Sealer,
    file?: string,
    reply?: number,
  ): OutboxItem {
    const item: OutboxItem = {
      cid,
      room,
      body,
      ...(seal ? { seal } : {}),
      ...(file ? { file } : {}),
      ...(reply !== undefined ? { reply } : {}),
      createdAt: now,
      state: "queued",
      notBefore: 0,
      attempts: 0,
    };
    this.items.push(item);
    return item;
  }

  get(cid: string): OutboxItem | undefined {
    return this.items.find((i) => i.cid === cid);
  }

  /** The item to send now, if any: the oldest, when nothing is in flight and it may go. */
  next(now: number): OutboxItem | undefined {
    const head = this.items[0];
    if (!head || head.state === "sending" || head.notBefore > now) return undefined;
    return head;
  }

  /** When the head may be sent next (ms), if it is waiting on a retry time. */
  wakeAt(): number | undefined {
    const head = this.items[0];
    return head && head.state === "queued" && head.notBefore > 0 ? head.notBefore : undefined;
  }

  remove(cid: string): OutboxItem | undefined {
    const i = this.items.findIndex((item) => item.cid === cid);
    if (i < 0) return undefined;
    return this.items.splice(i, 1)[0];
  }

  /** The connection dropped: whatever was in flight goes again, with the same cid. */
  requeueAll(): void {
    for (const item of this.items) item.state = "queued";
  }

  list(): readonly OutboxItem[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }
}
