/**
 * Moderation actions on a room: kick, ban (for a time or for good), unban, mute, unmute, role
 * changes, ownership transfer, the topic and deletion. Each action is one function that checks
 * the actor's rights first (roles.ts), then applies the change, its audit row and the event of
 * the room's log that tells of it in one store transaction (a crash leaves all three or none),
 * then makes it felt at once: a removed user's sockets leave the room on every node, and the
 * event is published through the room's log like every other entry.
 */
import type {
  AppendRequest,
  LogEntry,
  ModerationAct,
  ModerationRecord,
  Store,
} from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import {
  nameKey,
  ParleyError,
  ROOM_NAME_PATTERN,
  type ServerFrame,
  TOPIC_MAX_CHARS,
  type UserRef,
} from "../protocol/index.ts";
import { outranks, type RoomRight, requireRight } from "./roles.ts";
import type { RoomEventKind, RoomLog } from "./room-log.ts";

/** The event of the room's log that records an action: its kind, the member acted on, its text. */
interface RoomEventLine {
  kind: RoomEventKind;
  user?: UserRef;
  body: string;
}

export type ModerationAction =
  | "kick"
  | "ban"
  | "unban"
  | "mute"
  | "unmute"
  | "op"
  | "deop"
  | "transfer";

export interface ModerationRequest {
  room: number;
  action: ModerationAction;
  /** The target's user name. */
  user: string;
  /** For ban (absent: for good) and mute (absent: an hour). */
  seconds?: number | undefined;
  reason?: string | undefined;
}

export interface ModerationOptions {
  store: Store;
  log: Logger;
  now: () => number;
  /** Publishes a live frame to the room's members. */
  publish: (room: number, frame: ServerFrame) => void;
  /** The room's ordered log, which publishes the events every member sees (kick, ban, role, topic). */
  roomLog: RoomLog;
  /** Takes the user out of the room on every node: their sockets stop receiving it at once. */
  remove: (userId: number, room: number, why: "kicked" | "banned" | "deleted") => void;
}

/** The longest reason kept in the audit log. */
export const REASON_MAX_CHARS = 500;
/** A mute without a time lasts an hour. */
const DEFAULT_MUTE_S = 3600;
/** Bans and mutes last at most a year when timed (a ban may also be for good). */
const MAX_SECONDS = 366 * 24 * 3600;

const RIGHT: Record<ModerationAction, RoomRight> = {
  kick: "moderate",
  ban: "moderate",
  unban: "moderate",
  mute: "moderate",
  unmute: "moderate",
  op: "roles",
  deop: "roles",
  transfer: "transfer",
};

export class Moderation {
  constructor(private readonly o: ModerationOptions) {}

  async moderate(actor: UserRef, req: ModerationRequest): Promise<void> {
    const reason = checkReason(req.reason);
    if (
      req.seconds !== undefined &&
      (!Number.isSafeInteger(req.seconds) || req.seconds < 1 || req.seconds > MAX_SECONDS)
    ) {
      throw new ParleyError("INVALID", `seconds: 1 to ${MAX_SECONDS}`);
    }
    const mine = await requireRight(this.o.store, actor, req.room, RIGHT[req.action]);
    const target = await this.o.store.findUser(req.user);
    if (!target) throw new ParleyError("USER_NOT_FOUND");
    const theirs = await this.o.store.standing(req.room, target.id);
    // Unbanning acts on someone who is no member; everything else needs one, ranked below.
    if (req.action !== "unban" && req.action !== "ban" && !theirs) {
      throw new ParleyError("NOT_MEMBER", "That user is not a member of this room.");
    }
    if (theirs && !outranks(mine.role, theirs.role)) throw new ParleyError("OUTRANKED");
    const now = this.o.now();
    const act = toAct(req, target.id, now);
    const ref = { id: target.id, name: target.name };
    const event = await this.logged(
      { room: req.room, actor, act, reason, now },
      actEvent(req, ref, reason),
    );
    if (!event) return;
    this.o.log.info("room.moderated", {
      room: req.room,
      action: req.action,
      actor: actor.id,
      target: target.id,
    });
    // Out of the room before the event goes out: the removed user's sockets never get it.
    if (req.action === "kick" || req.action === "ban") {
      this.o.remove(target.id, req.room, req.action === "kick" ? "kicked" : "banned");
    }
    this.o.roomLog.publish(event);
    const until = "until" in act ? act.until : undefined;
    this.o.publish(req.room, {
      type: "moderation",
      room: req.room,
      action: req.action,
      by: actor,
      user: ref,
      ...(until !== undefined ? { until } : {}),
      ...(reason ? { reason } : {}),
    });
  }

  /**
   * Applies the action, its audit row and the room event that tells of it in one store
   * transaction (Store.moderateWithEvent): the stored event, or undefined when the action
   * changed nothing. A refused event (the actor stopped being a member) undoes the action.
   */
  private async logged(rec: ModerationRecord, event: RoomEventLine): Promise<LogEntry | undefined> {
    const request: AppendRequest = {
      room: rec.room,
      sender: rec.actor,
      cid: `${event.kind}-${crypto.randomUUID()}`,
      body: event.body,
      ts: rec.now,
      event: { kind: event.kind, ...(event.user ? { user: event.user } : {}) },
    };
    const result = await this.o.store.moderateWithEvent(rec, request);
    if (result === "unchanged") return undefined;
    if (!result.ok) throw new ParleyError(result.code);
    return result.event ?? result.message;
  }

  /**
   * A lifecycle action (rename, archive) with its event when the actor is a member. A server
   * admin who is not one acts without a line in the timeline: an event's sender is a member.
   */
  private async lifecycle(rec: ModerationRecord, event: RoomEventLine): Promise<boolean> {
    if (!(await this.o.store.isMember(rec.room, rec.actor.id))) {
      return this.o.store.moderate(rec);
    }
    const stored = await this.logged(rec, event);
    if (stored) this.o.roomLog.publish(stored);
    return stored !== undefined;
  }

  async setTopic(actor: UserRef, room: number, topic: string): Promise<void> {
    if (topic.length > TOPIC_MAX_CHARS || !topic.isWellFormed() || topic.includes("\u0000")) {
      throw new ParleyError("INVALID", "topic: not valid text");
    }
    const act: ModerationAct = { action: "topic", topic: topic.trim() };
    const rec = { room, actor, act, reason: "", now: this.o.now() };
    const event = await this.logged(rec, { kind: "topic", body: act.topic });
    if (event) this.o.roomLog.publish(event);
  }

  /** Renames the room (owner or server admin); members see a `rename` event in the timeline. */
  async rename(actor: UserRef, room: number, name: string): Promise<void> {
    if (!ROOM_NAME_PATTERN.test(name)) throw new ParleyError("INVALID_ROOM_NAME");
    const other = await this.o.store.findRoomByName(name);
    if (other && other.id !== room) throw new ParleyError("ROOM_NAME_TAKEN");
    const act: ModerationAct = { action: "rename", name, key: nameKey(name) };
    const rec = { room, actor, act, reason: "", now: this.o.now() };
    let changed: boolean;
    try {
      changed = await this.lifecycle(rec, { kind: "rename", body: name });
    } catch (err) {
      // Another room took the name between the check and the update: the unique key refused it.
      if ((await this.o.store.findRoomByName(name))?.id !== room) {
        throw new ParleyError("ROOM_NAME_TAKEN");
      }
      throw err;
    }
    if (changed) this.o.log.info("room.renamed", { room, actor: actor.id });
  }

  /**
   * Archives the room for good (owner or server admin): it stays readable, and every send,
   * edit and reaction is refused ROOM_ARCHIVED by the store, in the append's own transaction.
   */
  async archive(actor: UserRef, room: number, reason?: string): Promise<void> {
    const why = checkReason(reason);
    const act: ModerationAct = { action: "archive" };
    const rec = { room, actor, act, reason: why, now: this.o.now() };
    if (await this.lifecycle(rec, { kind: "archive", body: "" })) {
      this.o.log.info("room.archived", { room, actor: actor.id });
    }
  }

  async deleteRoom(actor: UserRef, room: number, reason?: string): Promise<void> {
    const why = checkReason(reason);
    await requireRight(this.o.store, actor, room, "delete");
    const members = await this.o.store.membersOf(room);
    const act: ModerationAct = { action: "delete_room" };
    if (!(await this.o.store.moderate({ room, actor, act, reason: why, now: this.o.now() }))) {
      throw new ParleyError("ROOM_NOT_FOUND");
    }
    this.o.log.info("room.deleted", { room, actor: actor.id });
    for (const m of members) this.o.remove(m.id, room, "deleted");
  }
}

function checkReason(reason: string | undefined): string {
  if (reason === undefined) return "";
  if (reason.length > REASON_MAX_CHARS || !reason.isWellFormed() || reason.includes("\u0000")) {
    throw new ParleyError("INVALID", `reason: at most ${REASON_MAX_CHARS} characters of text`);
  }
  return reason.trim();
}

/** The timeline's line for an action: kick, ban, unban, mute, unmute; role for op, deop, transfer. */
function actEvent(req: ModerationRequest, user: UserRef, reason: string): RoomEventLine {
  switch (req.action) {
    case "op":
      return { kind: "role", user, body: "moderator" };
    case "deop":
      return { kind: "role", user, body: "member" };
    case "transfer":
      return { kind: "role", user, body: "owner" };
    default:
      return { kind: req.action, user, body: reason };
  }
}

function toAct(req: ModerationRequest, target: number, now: number): ModerationAct {
  switch (req.action) {
    case "kick":
      return { action: "kick", target };
    case "ban":
      return {
        action: "ban",
        target,
        until: req.seconds === undefined ? null : now + req.seconds * 1000,
      };
    case "unban":
      return { action: "unban", target };
    case "mute":
      return { action: "mute", target, until: now + (req.seconds ?? DEFAULT_MUTE_S) * 1000 };
    case "unmute":
      return { action: "unmute", target };
    case "op":
      return { action: "role", target, role: "moderator" };
    case "deop":
      return { action: "role", target, role: "member" };
    case "transfer":
      return { action: "transfer", target };
  }
}
