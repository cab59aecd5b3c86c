/** What a connection reports: its state, its status changes, and the events listeners get. */
import type { Message, RoomEvent, ServerFrame, ServerFrameOf, UserRef } from "../protocol/index.ts";
import type { OutboxItem } from "./outbox.ts";
import type { RequestError } from "./request-error.ts";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export type StopReason = "closed" | "session-ended" | "refused";

/** `server` is set only with several nodes: the node connected to, or the one tried next. */
export type Status =
  | { kind: "connecting" }
  | { kind: "connected"; user: UserRef; server?: string }
  | { kind: "reconnecting"; attempt: number; delayMs: number; reason: string; server?: string }
  | { kind: "back-online"; caughtUp: number; server?: string }
  | { kind: "stopped"; reason: StopReason; message: string };

/**
 * Server frames that answer no request, passed on to `push` listeners as they are (a new push
 * goes here and in PUSH_TYPES). `dm_opened` is tracked by the connection first.
 */
export type PushFrame = ServerFrameOf<
  | "presence"
  | "typing"
  | "notice"
  | "devices_changed"
  | "dm_opened"
  | "room_created"
  | "removed" // kicked, banned, or the room deleted: the listeners drop the room
  | "invited" // an invitation by name (invitation commands and panels)
  | "group_added" // made a member of an encrypted group (secure-group.ts attaches it)
>;

const PUSH_TYPES: ReadonlySet<string> = new Set<PushFrame["type"]>([
  "presence",
  "typing",
  "notice",
  "devices_changed",
  "room_created",
  "removed",
  "invited",
  "group_added",
]);

/** A push passed on as it is (every PushFrame but `dm_opened`, which is tracked first). */
export function isPush(f: ServerFrame): f is PushFrame {
  return PUSH_TYPES.has(f.type);
}

/** How a message reached us: live, or while catching up after a (re)connect or a gap. */
export type Arrival = "live" | "catch-up";

export interface ConnectionEvents {
  message: (m: Message, arrival: Arrival) => void;
  /** An event of a room's log (an edit, a deletion, a reaction, …), in seq order with messages. */
  event: (e: RoomEvent, arrival: Arrival) => void;
  status: (s: Status) => void;
  /** The server has the message: an ack, or its own copy came back first. */
  delivered: (item: OutboxItem, seq: number) => void;
  /** The server refused the message for good (not a member, invalid): it will not be retried. */
  undeliverable: (item: OutboxItem, error: RequestError) => void;
  /** Something worth telling the user that belongs to no request. */
  notice: (text: string) => void;
  /** Presence, typing, join/leave notices, device changes and newly opened DMs. */
  push: (frame: PushFrame) => void;
}
