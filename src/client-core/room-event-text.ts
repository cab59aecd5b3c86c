/**
 * The line a timeline shows for a room's own event (a join, a leave, a kick, a topic change…),
 * the same in both clients. Events about a message (edit, delete, react) change that message
 * instead and have no line of their own.
 */
import { ROOM_EVENT_KINDS, type RoomEvent } from "../protocol/index.ts";

/** True for an event the timeline shows as a line of its own. */
export function isRoomEventLine(e: RoomEvent): boolean {
  // A group's signed membership is checked by the clients, not shown (docs/e2ee.md 12).
  return ROOM_EVENT_KINDS.has(e.kind) && e.kind !== "membership" && e.envelope === undefined;
}

const ROLE_TEXT: Record<string, string> = {
  owner: "the owner",
  moderator: "a moderator",
  member: "a member",
};

/** "alice kicked bob: spam", "carol joined (invited)", "dave set the topic: rules". */
export function roomEventText(e: RoomEvent): string {
  const by = e.from.name;
  const who = e.user?.name ?? "someone";
  const why = e.body ? `: ${e.body}` : "";
  switch (e.kind) {
    case "join":
      return e.body === "invite" ? `${by} accepted an invitation and joined` : `${by} joined`;
    case "leave":
      return e.body === "archived"
        ? `${by} left, the last member: the room is archived`
        : `${by} left`;
    case "kick":
      return `${by} kicked ${who}${why}`;
    case "ban":
      return `${by} banned ${who}${why}`;
    case "unban":
      return `${by} unbanned ${who}`;
    case "mute":
      return `${by} muted ${who}${why}`;
    case "unmute":
      return `${by} unmuted ${who}`;
    case "role":
      return `${by} made ${who} ${ROLE_TEXT[e.body ?? ""] ?? e.body ?? "a member"}`;
    case "topic":
      return e.body ? `${by} set the topic: ${e.body}` : `${by} cleared the topic`;
    case "rename":
      return `${by} renamed the room to #${e.body ?? ""}`;
    case "archive":
      return `${by} archived the room: it is read-only now`;
    default:
      return `${by}: ${e.kind}`;
  }
}
