/**
 * The lines `parley tail` prints: one per message, and one per room event (a join, a kick, a
 * topic…) in the words both chat views use (client-core/room-event-text.ts). Every control
 * character is made visible, so a line is always exactly one entry of the room's log.
 */
import { formatBytes } from "../client-core/file-transfer.ts";
import { isRoomEventLine, roomEventText } from "../client-core/room-event-text.ts";
import type { Message, RoomEvent } from "../protocol/index.ts";
import { sanitize } from "./text-layout.ts";

/** A tail line: one JSON object, or one line of text with every control character escaped. */
export function formatTailLine(m: Message, where: string, json: boolean, body = m.body): string {
  if (json) {
    return JSON.stringify({
      room: m.room,
      roomName: where.slice(1),
      kind: where.startsWith("@") ? "dm" : "room",
      seq: m.seq,
      ts: m.ts,
      from: m.from,
      cid: m.cid,
      body,
      ...(m.file ? { file: m.file } : {}),
    });
  }
  // One message is one line, whatever it holds: a newline or ESC in a body could forge a line.
  const file = m.file
    ? `[file] ${m.file.name} (${formatBytes(m.file.size)}, ${m.file.type}) id ${m.file.id}`
    : "";
  const text = [body, file].filter((t) => t !== "").join(" ");
  return `${new Date(m.ts).toISOString()} ${sanitize(where)} ${sanitize(m.from.name)}: ${sanitize(text)}`;
}

/**
 * A room event's line: `ISO-TIME #room * alice kicked bob: spam` (the "*" tells it from a
 * message, whose third word ends in ":"), or one JSON object with `event` (its kind) and `text`
 * instead of `body`, so a bot reading bodies never takes a kick's reason for a message.
 * Undefined for an event that is no line of its own (an edit, a reaction, a deletion).
 */
export function formatTailEvent(e: RoomEvent, where: string, json: boolean): string | undefined {
  if (!isRoomEventLine(e)) return undefined;
  const text = roomEventText(e);
  if (json) {
    return JSON.stringify({
      room: e.room,
      roomName: where.slice(1),
      kind: "room",
      seq: e.seq,
      ts: e.ts,
      from: e.from,
      cid: e.cid,
      event: e.kind,
      ...(e.user ? { user: e.user } : {}),
      ...(e.body ? { detail: e.body } : {}),
      text,
    });
  }
  return `${new Date(e.ts).toISOString()} ${sanitize(where)} * ${sanitize(text)}`;
}
