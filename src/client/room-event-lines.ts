/**
 * The room's own events (joins, leaves, kicks, bans, mutes, roles, topics, renames, archiving)
 * as lines of the room's buffer, in their place in the log: live, after a resume, and in the
 * history paged in above. The text is shared with the browser (client-core/room-event-text.ts).
 */
import { isRoomEventLine, roomEventText } from "../client-core/room-event-text.ts";
import type { RoomEvent } from "../protocol/index.ts";
import type { Entry } from "./chat-buffer.ts";
import type { ChatState } from "./chat-state.ts";

/** The event as an entry of its buffer, carrying its seq like a message. */
export function roomEventEntry(s: ChatState, e: RoomEvent): Entry {
  const tone = e.kind === "kick" || e.kind === "ban" || e.kind === "archive" ? "warn" : "info";
  return { ...s.noteEntry(roomEventText(e), tone), seq: e.seq };
}

/** Shows a live (or replayed) room event; false when it is no room event (an edit, a reaction). */
export function showRoomEvent(s: ChatState, e: RoomEvent): boolean {
  if (!isRoomEventLine(e)) return false;
  const b = s.bufferFor(e.room);
  if (!b) return true;
  // A blocked user's comings and goings are hidden with their messages.
  if (s.blocked.has(e.from.id) && e.from.id !== s.conn.user?.id) return true;
  b.add(roomEventEntry(s, e), s.screen.columns);
  if (b === s.buffers.current) {
    s.session.reads.shown(e.room, e.seq);
    s.screen.render();
  }
  return true;
}
