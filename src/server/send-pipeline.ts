/**
 * The write path of messages: a send is authorized (access.ts), checked (text, file, sealed
 * envelope), queued for the next group commit (commit-queue.ts), answered with its outcome once
 * durable, and published to the room. One convention for every caller (WebSocket, IRC, bots):
 * `send` returns nothing and never throws; its outcome, a refusal included, reaches `done`.
 *
 * Invariant: sends of one lane (a connection) are queued in the order they were sent. A send
 * that must wait for a lookup holds back the ones behind it, and after an UNAVAILABLE refusal the
 * room is held until the refused cid comes again (send-order.ts).
 */
import {
  type AppendRequest,
  entryFrame,
  OUTAGE_RETRY_AFTER_S,
  type Store,
} from "../../db/store.ts";
import type { Bus } from "../bus/bus.ts";
import { DEVICES_MAX, type Envelope } from "../crypto/index.ts";
import { errorFields, type Logger } from "../log/log.ts";
import {
  dmConversation,
  encodeFrame,
  isValidMessage,
  type Message,
  type MessageFile,
  ParleyError,
  type UserRef,
} from "../protocol/index.ts";
import type { Access, Requirement } from "./access.ts";
import type { CommitQueue } from "./commit-queue.ts";
import type { Contacts } from "./contacts.ts";
import type { Metrics } from "./metrics.ts";
import type { RoomKinds } from "./room-kinds.ts";
import { groupEnvelope, sealedBody } from "./sealed-envelope.ts";
import { heldBack, noteRefused, type SendHolds } from "./send-order.ts";

export interface SendRequest {
  room: number;
  cid: string;
  body?: string | undefined;
  envelope?: Envelope | undefined;
  /** The id of a file this user uploaded to this (public) room, to share in the message. */
  file?: string | undefined;
  /** The seq of the message of this room it replies to (REPLY_NOT_FOUND otherwise). */
  reply?: number | undefined;
}

export type SendOutcome =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; error: ParleyError };

/** One sender's order: a connection's, or none for one-off sends (a webhook). */
export interface SendLane {
  /** The last send still waiting for a lookup; later sends queue behind it. */
  tail: Promise<void> | undefined;
  /** Rooms whose sends wait for a refused one to be sent again (send-order.ts). */
  holds: SendHolds;
}

export function newLane(): SendLane {
  return { tail: undefined, holds: new Map() };
}

/** What a send needs of its sender, declared once (requirements.ts lists it for `send`). */
export const SEND: Requirement = { room: "member", inOrder: true };

export interface SendPipelineOptions {
  store: Store;
  bus: Bus;
  queue: CommitQueue;
  contacts: Contacts;
  access: Access;
  kinds: RoomKinds;
  log: Logger;
  now: () => number;
  metrics?: Metrics | undefined;
}

export class SendPipeline {
  constructor(private readonly o: SendPipelineOptions) {}

  /**
   * Queues a send for the next group commit, after its checks; `done` hears the outcome once
   * it is durable (or refused), and a new message is published to the room right after `done`.
   * Public rooms take text; DM rooms take only sealed envelopes, bound to the room and the
   * sender, from someone the peer accepts. A public room whose kind is known and whose member
   * the sender is known to be is queued synchronously: the hot path.
   */
  send(user: UserRef, req: SendRequest, done: (outcome: SendOutcome) => void, lane?: SendLane) {
    let answer = done;
    if (lane) {
      const held = heldBack(lane.holds, req.room, req.cid, this.o.now());
      if (held) return done({ ok: false, error: held });
      answer = (outcome) => {
        if (!outcome.ok && outcome.error.code === "UNAVAILABLE") {
          noteRefused(lane.holds, req.room, req.cid, this.o.now());
        }
        done(outcome);
      };
    }
    const previous = lane?.tail;
    const pending = previous
      ? previous.then(() => this.start(user, req, answer))
      : this.start(user, req, answer);
    if (!pending || !lane) return;
    lane.tail = pending;
    pending.then(() => {
      if (lane.tail === pending) lane.tail = undefined;
    });
  }

  /** Queues at once when nothing needs a lookup; else a promise. Never rejects. */
  private start(user: UserRef, req: SendRequest, done: (o: SendOutcome) => void) {
    try {
      const gate = this.o.access.check(user, req.room, SEND);
      if (!gate && this.o.kinds.known(req.room) === "room" && req.file === undefined) {
        return this.queue(user, req, checkText(req), false, done);
      }
      return (gate ?? Promise.resolve())
        .then(() => this.checked(user, req, done))
        .catch((err) => done(this.refusal(err)));
    } catch (err) {
      done(this.refusal(err));
    }
  }

  private refusal(err: unknown): SendOutcome {
    if (err instanceof ParleyError) return { ok: false, error: err };
    this.o.log.error("send.failed", errorFields(err));
    return { ok: false, error: new ParleyError("INTERNAL") };
  }

  private async checked(user: UserRef, req: SendRequest, done: (o: SendOutcome) => void) {
    const kind = await this.o.kinds.of(req.room);
    if (kind === "group") {
      return this.queue(user, req, await groupEnvelope(this.o.store, user, req), true, done);
    }
    if (kind !== "dm") {
      const body = checkText(req);
      const file = req.file === undefined ? undefined : await this.sharedFile(user, req);
      return this.queue(user, req, body, false, done, file);
    }
    // Outsiders learn nothing about a DM, not even that it exists (access.ts refused them).
    const users = await this.o.store.dmUsers(req.room);
    if (!users?.includes(user.id)) throw new ParleyError("ROOM_NOT_FOUND");
    if (req.file !== undefined) {
      throw new ParleyError("INVALID", "A DM's files travel inside its envelope: send no file id.");
    }
    const conv = dmConversation(req.room);
    const body = sealedBody(req.envelope, { conv, user, cid: req.cid, users, max: DEVICES_MAX });
    await this.o.contacts.requireDmAllowed(user, users[0] === user.id ? users[1] : users[0]);
    this.queue(user, req, body, true, done);
  }

  /** The file a public-room send shares: it must be one this user uploaded to this room. */
  private async sharedFile(user: UserRef, req: SendRequest): Promise<MessageFile> {
    const f = await this.o.store.findFile(req.file as string);
    if (!f || f.room !== req.room || f.uploader !== user.id || f.name === undefined) {
      throw new ParleyError("FILE_NOT_FOUND", "You uploaded no file with that id to this room.");
    }
    return { id: f.id, name: f.name, size: f.size, type: f.type ?? "application/octet-stream" };
  }

  private queue(
    user: UserRef,
    req: SendRequest,
    body: string,
    sealed: boolean,
    done: (outcome: SendOutcome) => void,
    file?: MessageFile,
  ): undefined {
    const request: AppendRequest = {
      room: req.room,
      sender: user,
      cid: req.cid,
      body,
      sealed,
      ts: this.o.now(),
    };
    if (file) request.file = file;
    if (req.reply !== undefined) request.reply = req.reply;
    const accepted = this.o.queue.submit(request, (result) => {
      if (result === "failed") {
        return done({
          ok: false,
          error: new ParleyError("UNAVAILABLE", undefined, { retryAfter: OUTAGE_RETRY_AFTER_S }),
        });
      }
      if (!result.ok) {
        if (result.code !== "NOT_MEMBER") {
          return done({ ok: false, error: new ParleyError(result.code) });
        }
        // An outsider learns nothing of a private room, not even from a refused send.
        this.o.access.outsider(req.room).then(
          (error) => done({ ok: false, error }),
          () => done({ ok: false, error: new ParleyError("NOT_MEMBER") }),
        );
        return;
      }
      // A send is a message; a cid reused from an event answers with that event's seq.
      const m = result.message ?? (result.event as unknown as Message);
      done({ ok: true, message: m, duplicate: result.duplicate });
      // A duplicate is published again: its first commit may never have been announced (it
      // outlived its deadline, or its node died before publishing). Readers drop repeats by seq.
      this.o.bus.publish({
        room: m.room,
        seq: m.seq,
        frame: encodeFrame(entryFrame(result.message ?? result.event)),
      });
      if (!result.duplicate) {
        this.o.metrics?.messagesAccepted.inc();
        this.o.log.debug("message.stored", { room: m.room, seq: m.seq, bytes: body.length });
      }
    });
    if (!accepted) throw new ParleyError("BUSY");
    return undefined;
  }
}

/** The text of a send to a public room ("" for a file without a caption), or why it is refused. */
function checkText(req: SendRequest): string {
  if (req.envelope !== undefined) {
    throw new ParleyError("INVALID", "Envelopes are for direct messages; send a body.");
  }
  if (req.body === undefined && req.file !== undefined) return "";
  if (req.body === undefined || !isValidMessage(req.body)) throw new ParleyError("INVALID_MESSAGE");
  return req.body;
}
