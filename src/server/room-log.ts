/**
 * The room's own events in its ordered log: joins (plain or by invitation) and leaves, kicks,
 * bans, unbans, mutes, role and topic changes, renames and archiving. Only a change of
 * membership is a join or leave: a reconnect, or joining a room one is in, stores nothing.
 * They are entries of the same log as messages and edits (src/protocol/event.ts), stored through
 * the same group commit and published in seq order, so every member sees them, in order, live
 * and after a resume. The one who acted is the event's sender and must be a member when it is
 * stored: a join is recorded after the membership begins.
 */
import { type AppendRequest, entryFrame } from "../../db/store.ts";
import type { Bus } from "../bus/bus.ts";
import { errorFields, type Logger } from "../log/log.ts";
import {
  type ErrorCode,
  type EventKind,
  encodeFrame,
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
  bus: Bus;
  queue: CommitQueue;
  log: Logger;
  now: () => number;
}

export class RoomLog {
  constructor(private readonly o: RoomLogOptions) {}

  /**
   * Stores the event and publishes it; resolves with its seq once it is stored (undefined if it
   * could not be). Never rejects: the action it records has happened already.
   */
  record(
    room: number,
    by: UserRef,
    kind: RoomEventKind,
    extra: { user?: UserRef; body?: string } = {},
  ): Promise<number | undefined> {
    const request: AppendRequest = {
      room,
      sender: by,
      cid: `${kind}-${crypto.randomUUID()}`,
      body: extra.body ?? "",
      ts: this.o.now(),
      event: { kind, ...(extra.user ? { user: extra.user } : {}) },
    };
    return new Promise<number | undefined>((resolve) => {
      const accepted = this.o.queue.submit(request, (result) => {
        if (result === "failed" || !result.ok) {
          this.o.log.warn("room_event.not_stored", {
            room,
            kind,
            why: result === "failed" ? "failed" : result.code,
          });
          return resolve(undefined);
        }
        const entry = result.event ?? result.message;
        this.o.bus.publish({ room, seq: entry.seq, frame: encodeFrame(entryFrame(entry)) });
        resolve(entry.seq);
      });
      if (!accepted) {
        this.o.log.warn("room_event.not_stored", { room, kind, why: "busy" });
        resolve(undefined);
      }
    }).catch((err) => {
      this.o.log.warn("room_event.failed", errorFields(err));
      return undefined;
    });
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
