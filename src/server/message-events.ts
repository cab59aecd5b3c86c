/**
 * Changes to messages as events of the room's log: edit, delete and react. Each request is
 * checked here (membership, the target, who may do it, the content), then goes through the same
 * group commit as a send, is acked with its own seq, and is published to the room in seq order.
 *
 * Authorization lives in one place, MAY below: one rule per kind of change. In a DM or a group
 * the change itself is sealed (an envelope, like the text): the server sees only that an event
 * of some kind targets a seq. A delete carries nothing to seal.
 */
import {
  type AppendRequest,
  entryFrame,
  OUTAGE_RETRY_AFTER_S,
  type Store,
} from "../../db/store.ts";
import type { Bus } from "../bus/bus.ts";
import type { Envelope } from "../crypto/index.ts";
import { errorFields, type Logger } from "../log/log.ts";
import {
  dmConversation,
  type ErrorCode,
  encodeFrame,
  isEmoji,
  isValidMessage,
  type Message,
  ParleyError,
  type RoomEvent,
  type UserRef,
} from "../protocol/index.ts";
import type { Access } from "./access.ts";
import type { CommitQueue } from "./commit-queue.ts";
import { e2eeUserId } from "./devices.ts";
import { groupEnvelope } from "./sealed-envelope.ts";

export type ChangeKind = "edit" | "delete" | "react";

export interface ChangeRequest {
  room: number;
  cid: string;
  kind: ChangeKind;
  target: number;
  body?: string | undefined;
  emoji?: string | undefined;
  on?: boolean | undefined;
  envelope?: Envelope | undefined;
}

export type ChangeOutcome =
  | { ok: true; event: RoomEvent; duplicate: boolean }
  | { ok: false; error: ParleyError };

export interface MessageEventsOptions {
  store: Store;
  bus: Bus;
  queue: CommitQueue;
  /** Membership of a room, checked as every declared requirement is. */
  access: Access;
  log: Logger;
  now: () => number;
  /**
   * Whether the user moderates the room (may delete anyone's messages there). The hook for
   * room roles; until they exist nobody does.
   */
  moderates?: (room: number, user: UserRef) => Promise<boolean>;
}

/** What the rule of a change is told: who asks, the message, and how to ask about roles. */
interface Asked {
  actor: UserRef;
  target: Message;
  room: number;
  moderates: (room: number, user: UserRef) => Promise<boolean>;
}

/**
 * Who may make each change: undefined when allowed, else the refusal's code. Membership of the
 * room is checked before (and again, atomically, by the append) for every kind.
 */
const MAY: Record<ChangeKind, (a: Asked) => Promise<ErrorCode | undefined>> = {
  /** Only the author edits. */
  edit: async (a) => (a.actor.id === a.target.from.id ? undefined : "NOT_AUTHOR"),
  /** The author deletes, or a moderator of the room. */
  delete: async (a) =>
    a.actor.id === a.target.from.id || (await a.moderates(a.room, a.actor))
      ? undefined
      : "DELETE_FORBIDDEN",
  /** Any member reacts. */
  react: async () => undefined,
};

const nobody = async () => false;

export class MessageEvents {
  constructor(private readonly o: MessageEventsOptions) {}

  /**
   * Checks a change and queues it for the next group commit; `done` runs after the commit and
   * the event is published right after. The send pipeline's convention: it returns nothing and
   * never throws, and a refusal, with its code, reaches `done` too.
   */
  submit(user: UserRef, req: ChangeRequest, done: (outcome: ChangeOutcome) => void): void {
    this.checked(user, req, done).catch((err) => {
      if (!(err instanceof ParleyError)) this.o.log.error("event.failed", errorFields(err));
      done({ ok: false, error: err instanceof ParleyError ? err : new ParleyError("INTERNAL") });
    });
  }

  private async checked(user: UserRef, req: ChangeRequest, done: (o: ChangeOutcome) => void) {
    const dm = await this.o.store.dmUsers(req.room);
    // Outsiders learn nothing about a DM, not even that it exists.
    if (dm && !dm.includes(user.id)) throw new ParleyError("ROOM_NOT_FOUND");
    // A private room one is not in does not exist to them (access.ts).
    if (!dm) await this.o.access.requireMember(user, req.room);
    const target = await this.o.store.findMessage(req.room, req.target);
    if (!target) throw new ParleyError("MESSAGE_NOT_FOUND");
    if (target.deleted) throw new ParleyError("MESSAGE_DELETED");
    // Outside DMs only a group holds sealed messages: its changes are sealed too, never in clear.
    const group = !dm && target.envelope !== undefined;
    const moderates = this.o.moderates ?? nobody;
    const refused = await MAY[req.kind]({ actor: user, target, room: req.room, moderates });
    if (refused) throw new ParleyError(refused);

    const content = dm
      ? sealedContent(user, req, dm)
      : group
        ? await groupContent(this.o.store, user, req)
        : plainContent(req);
    const request: AppendRequest = {
      room: req.room,
      sender: user,
      cid: req.cid,
      body: content.body,
      sealed: dm !== undefined || group,
      ts: this.o.now(),
      event: { kind: req.kind, target: req.target, on: content.on },
    };
    const accepted = this.o.queue.submit(request, (result) => {
      if (result === "failed") {
        return done({
          ok: false,
          error: new ParleyError("UNAVAILABLE", undefined, { retryAfter: OUTAGE_RETRY_AFTER_S }),
        });
      }
      if (!result.ok) return done({ ok: false, error: new ParleyError(result.code) });
      // A cid reused from a message answers with that message's seq, as a send would.
      const event = result.event ?? (result.message as unknown as RoomEvent);
      done({ ok: true, event, duplicate: result.duplicate });
      // Published again when a duplicate, as a send is: readers drop repeats by seq.
      const entry = result.event ?? result.message;
      this.o.bus.publish({ room: req.room, seq: entry.seq, frame: encodeFrame(entryFrame(entry)) });
      if (!result.duplicate) {
        this.o.log.debug("event.stored", { room: req.room, seq: entry.seq, kind: req.kind });
        if (req.kind === "delete" && user.id !== target.from.id) {
          this.auditDelete(req.room, user, target);
        }
      }
    });
    if (!accepted) throw new ParleyError("BUSY");
  }

  /**
   * A moderator's delete of someone else's message goes into the room's audit log, written
   * once the delete is stored (the append's transaction carries no audit row).
   */
  private auditDelete(room: number, actor: UserRef, target: Message): void {
    const by = { actor, reason: "", now: this.o.now() };
    this.o.store
      .audit(room, "message_delete", target.from.id, by, JSON.stringify({ seq: target.seq }))
      .catch((err) => this.o.log.warn("audit.failed", errorFields(err)));
  }
}

/** A public room's change: an edit's text, or a reaction's emoji and on/off. */
function plainContent(req: ChangeRequest): { body: string; on?: boolean } {
  if (req.envelope !== undefined) {
    throw new ParleyError("INVALID", "Envelopes are for direct messages.");
  }
  switch (req.kind) {
    case "edit":
      if (req.body === undefined || !isValidMessage(req.body)) {
        throw new ParleyError("INVALID_MESSAGE");
      }
      return { body: req.body };
    case "delete":
      return { body: "" };
    case "react":
      if (req.emoji === undefined || !isEmoji(req.emoji)) throw new ParleyError("INVALID_REACTION");
      return { body: req.emoji, on: req.on ?? true };
  }
}

/** A sealed conversation's delete (it carries nothing), or undefined for an edit or reaction. */
function sealedDelete(req: ChangeRequest): { body: string } | undefined {
  if (req.body !== undefined || req.emoji !== undefined || req.on !== undefined) {
    throw new ParleyError("SEALED_ONLY");
  }
  if (req.kind !== "delete") return undefined;
  if (req.envelope !== undefined) throw new ParleyError("INVALID", "A delete carries nothing.");
  return { body: "" };
}

/** A group's change: sealed (edit, react) as a group's message is (sealed-envelope.ts). */
async function groupContent(
  store: Store,
  user: UserRef,
  req: ChangeRequest,
): Promise<{ body: string; on?: boolean }> {
  return sealedDelete(req) ?? { body: await groupEnvelope(store, user, req) };
}

/** A DM's change: sealed (edit, react) and bound to this conversation, sender and cid. */
function sealedContent(
  user: UserRef,
  req: ChangeRequest,
  users: readonly number[],
): { body: string; on?: boolean } {
  const deleted = sealedDelete(req);
  if (deleted) return deleted;
  const env = req.envelope;
  if (env === undefined) throw new ParleyError("SEALED_ONLY");
  const participants = new Set(users.map(e2eeUserId));
  if (
    env.conv !== dmConversation(req.room) ||
    env.from.u !== e2eeUserId(user.id) ||
    env.id !== req.cid ||
    env.to.some((r) => !participants.has(r.u))
  ) {
    throw new ParleyError("BAD_ENVELOPE");
  }
  return { body: JSON.stringify(env) };
}
