/**
 * The room's own events in its ordered log: joins (plain or by invitation) and leaves, kicks,
 * bans, unbans, mutes, role and topic changes, renames and archiving. Only a change of
 * membership is a join or leave: a reconnect, or joining a room one is in, stores nothing.
 * They are entries of the same log as messages and edits (src/protocol/event.ts), stored through
 * the same group commit and published in seq order, so every member sees them, in order, live
 * and after a resume. The one who acted is the event's sender and must be a member when it is
 * stored. A join or leave is stored in the same store transaction as the membership row it
 * records, and only when that row changed: two nodes racing the same user's leave store one.
 * A moderation action's event is stored in the action's own transaction (moderation.ts), then
 * published here.
 */
import {
  type AppendRequest,
  entryFrame,
  type LogEntry,
  type MembershipChange,
  type Store,
} from "../../db/store.ts";
import type { Bus } from "../bus/bus.ts";
import type { Logger } from "../log/log.ts";
import {
  type ErrorCode,
  type EventKind,
  encodeFrame,
  ParleyError,
  type RoomEvent,
  type UserRef,
} from "../protocol/index.ts";
import type { CommitQueue } from "./commit-queue.ts";

export type RoomEventKind = Extract<
  EventKind,
  | "join"
  | "leave"
  | "kick"
  | "ban"
  | "unban"
  | "mute"
  | "unmute"
  | "role"
  | "topic"
  | "rename"
  | "archive"
  | "membership"
>;

export interface RoomLogOptions {
  store: Store;
  bus: Bus;
  queue: CommitQueue;
  log: Logger;
  now: () => number;
}

export class RoomLog {
  constructor(private readonly o: RoomLogOptions) {}

  /**
   * The user joins or leaves the room, and the event that says so is stored with that change,
   * in one transaction, then published: the event, or "unchanged" (nothing stored) when they
   * already were (join) or were not (leave) a member. Throws the refusal when the room is gone.
   */
  async membership(
    room: number,
    user: UserRef,
    change: MembershipChange,
    body = "",
  ): Promise<LogEntry | "unchanged"> {
    const request: AppendRequest = {
      room,
      sender: user,
      cid: `${change}-${crypto.randomUUID()}`,
      body,
      ts: this.o.now(),
      event: { kind: change },
    };
    const result = await this.o.store.changeMembership(change, request);
    if (result === "unchanged") return result;
    if (!result.ok) throw new ParleyError(result.code);
    const entry = result.event ?? result.message;
    this.publish(entry);
    return entry;
  }

  /**
   * Publishes an entry the store stored in a transaction of its own (an invitation's join, a
   * moderation action's event).
   */
  publish(entry: LogEntry): void {
    this.o.bus.publish({ room: entry.room, seq: entry.seq, frame: encodeFrame(entryFrame(entry)) });
  }

  /**
   * Stores an event whose sender asked for it (a group's membership version) and publishes it:
   * the entry, or the refusal's code. Unlike record(), the asker hears whether it was stored.
   */
  append(
    room: number,
    by: UserRef,
    kind: RoomEventKind,
    body: string,
  ): Promise<RoomEvent | ErrorCode> {
    const request: AppendRequest = {
      room,
      sender: by,
      cid: `${kind}-${crypto.randomUUID()}`,
      body,
      ts: this.o.now(),
      event: { kind },
    };
    return new Promise((resolve) => {
      const accepted = this.o.queue.submit(request, (result) => {
        if (result === "failed") return resolve("UNAVAILABLE");
        if (!result.ok) return resolve(result.code);
        const entry = result.event as RoomEvent;
        this.o.bus.publish({ room, seq: entry.seq, frame: encodeFrame(entryFrame(entry)) });
        resolve(entry);
      });
      if (!accepted) resolve("BUSY");
    });
  }
}
