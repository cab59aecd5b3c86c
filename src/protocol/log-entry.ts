/** An entry of a room's ordered log as clients and server handle it: a message or an event. */
import type { RoomEvent } from "./event.ts";
import type { Message, ServerFrame } from "./frame.ts";

export type LogEntry = Message | RoomEvent;

export function isEvent(entry: LogEntry): entry is RoomEvent {
  return "kind" in entry;
}

/** The frame that delivers an entry: `msg` for a message, `event` for an event. */
export function entryFrame(entry: LogEntry): ServerFrame {
  return isEvent(entry) ? { type: "event", ...entry } : { type: "msg", ...entry };
}
