/**
 * Parley's message events (edits, deletions, reactions; docs/protocol.md 4.8) as IRC lines, and
 * back. Replies and reactions use the IRCv3 client tags `+draft/reply` and `+draft/react` (with
 * `+draft/unreact` for a reaction taken back, as ergo relays it); a deletion is a REDACT
 * (draft/message-redaction) to the clients that asked for it. IRC has no edit a client shows, so
 * an edit is a NOTICE from its author, "[edited] new text", tagged `+draft/reply` with the msgid
 * of the message it changes. A kick or ban of someone else is a KICK from the moderator with
 * the reason; a rename is RENAME (draft/channel-rename) or PART and JOIN; an archive is a NOTICE.
 */
import type { RoomEvent, UserRef } from "../protocol/index.ts";
import type { CapSet } from "./caps.ts";
import type { IrcContext } from "./context.ts";
import { foldName, nickOf, sourceOf } from "./names.ts";
import { isoTime, msgidOf, privmsgTexts } from "./render.ts";
import type { OutMessage } from "./reply.ts";

export const EDIT_MARK = "[edited] ";

/**
 * A room renamed: its channel takes the new name on this connection. A client with
 * draft/channel-rename gets RENAME (from whoever renamed it); any other sees itself PART the old
 * channel and JOIN the new one, as ergo does, so it never writes to a name that is gone.
 */
export function renameLines(
  ctx: IrcContext,
  conn: EventReader,
  e: RoomEvent,
  from: string,
  to: string,
): OutMessage[] {
  // Replayed on a JOIN after the room took that name: nothing changes for this client.
  if (foldName(from) === foldName(to)) return [];
  const reason = `Renamed by ${e.from.name}`;
  if (conn.caps.has("draft/channel-rename")) {
    return [
      {
        source: sourceOf(e.from.name, ctx.serverName),
        command: "RENAME",
        params: [from, to, reason],
      },
    ];
  }
  const self = sourceOf(conn.user.name, ctx.serverName);
  return [
    { source: self, command: "PART", params: [from, `${reason}: now ${to}`] },
    { source: self, command: "JOIN", params: [to] },
  ];
}

/** What the event lines depend on of a connection (not the connection itself: no import circle). */
export interface EventReader {
  readonly user: UserRef;
  readonly caps: CapSet;
}

/** The IRC lines this client gets for one event of a channel's log; [] for none. */
export function eventLines(
  ctx: IrcContext,
  conn: EventReader,
  e: RoomEvent,
  channel: string,
): OutMessage[] {
  if (e.envelope !== undefined) return [];
  const source = sourceOf(e.from.name, ctx.serverName);
  if ((e.kind === "kick" || e.kind === "ban") && e.user && e.user.id !== conn.user.id) {
    // Others in the channel see who removed whom and why (the removed one got its own KICK).
    const why = e.body || (e.kind === "ban" ? "Banned" : "Kicked");
    return [{ source, command: "KICK", params: [channel, nickOf(e.user.name), why] }];
  }
  if (e.kind === "archive") {
    const text = `${e.from.name} archived this room: it may be read but not written.`;
    return [{ source: ctx.serverName, command: "NOTICE", params: [channel, text] }];
  }
  if (e.target === undefined) return [];
  const target = msgidOf(e.room, e.target);
  const base: [string, string][] = [
    ["time", isoTime(e.ts)],
    ["msgid", msgidOf(e.room, e.seq)],
    ["account", e.from.name],
  ];
  switch (e.kind) {
    case "react": {
      // A TAGMSG is nothing but its tags: without message-tags the client would see nothing.
      if (!conn.caps.has("message-tags") || e.emoji === undefined) return [];
      const tags = new Map([
        ...base,
        ["+draft/reply", target],
        [e.on === false ? "+draft/unreact" : "+draft/react", e.emoji],
      ]);
      return [{ tags, source, command: "TAGMSG", params: [channel] }];
    }
    case "delete":
      if (!conn.caps.has("draft/message-redaction")) return [];
      return [{ tags: new Map(base), source, command: "REDACT", params: [channel, target] }];
    case "edit": {
      if (!e.body) return [];
      const tags = new Map([...base, ["+draft/reply", target]]);
      const texts = privmsgTexts(`${EDIT_MARK}${e.body}`, `:${source} NOTICE ${channel} :`);
      return texts.map((text) => ({ tags, source, command: "NOTICE", params: [channel, text] }));
    }
    default:
      return [];
  }
}
