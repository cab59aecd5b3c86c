/**
 * The chat commands about rooms and buffers: switching, listing, joining, creating and leaving
 * rooms, members and earlier messages. Entering a conversation and paging its history live here
 * too, as other command groups (and PageUp) use them.
 */

import { isRoomEventLine } from "../client-core/room-event-text.ts";
import { HISTORY_PAGE_MAX, nameKey } from "../protocol/index.ts";
import type { ChatBuffer } from "./chat-buffer.ts";
import type { Command } from "./chat-command.ts";
import { type ChatState, parseTarget } from "./chat-state.ts";
import { roomEventEntry } from "./room-event-lines.ts";

export const HISTORY_DEFAULT = 20;

/**
 * Puts a conversation on screen by name ("#name" or "name" a room, "@name" a DM): its buffer if
 * there is one, else a new buffer, joined (or opened) first.
 */
export async function enterConversation(s: ChatState, target: string): Promise<void> {
  const { conn, secure } = s;
  const previous = s.buffers.current;
  const wanted = parseTarget(target);
  const existing = s.buffers.find(wanted.kind, wanted.name);
  if (existing?.id !== undefined) {
    s.select(existing);
    if (existing.entries.length === 0) await showHistory(s, HISTORY_DEFAULT, { quiet: true });
    // A DM buffer that filled in the background: say once how it is protected.
    if (existing.kind === "dm" && secure && !existing.greeted) {
      existing.greeted = true;
      s.note(dmIntro(existing.name, secure.trustOf(existing.name)), "ok", existing);
    }
    return;
  }
  const b = existing ?? s.openBuffer(wanted.kind, wanted.name);
  s.select(b);
  s.resetStatus();
  try {
    if (wanted.kind === "group") {
      const room = conn
        .joinedRooms()
        .find((r) => r.kind === "group" && nameKey(r.name) === nameKey(wanted.name));
      if (!room) throw new Error("you are in no group of that name");
      b.id = room.id;
      s.note(`Group &${room.name}, end-to-end encrypted: /group lists its members.`, "ok", b);
      await showHistory(s, HISTORY_DEFAULT, { quiet: true });
    } else if (wanted.kind === "dm") {
      const peer = wanted.name;
      if (!secure) throw new Error("encryption could not be set up on this device");
      const known = conn
        .joinedRooms()
        .some((r) => r.kind === "dm" && nameKey(r.name) === nameKey(peer));
      const room = await secure.openDm(peer);
      b.id = room.id;
      b.name = room.name;
      s.resetStatus();
      b.greeted = true;
      const status = room.peer?.status ? ` ${room.name} is ${room.peer.status}.` : "";
      s.note(`${dmIntro(room.name, secure.trustOf(room.name))}${status}`, "ok", b);
      // Already received from its head: show the recent past once.
      if (known && room.head > 0) await showHistory(s, HISTORY_DEFAULT, { quiet: true });
    } else {
      const room = await conn.join(wanted.name);
      b.id = room.id;
      b.name = room.name;
      s.resetStatus();
      s.note(
        room.archived
          ? `You are in #${room.name}: it is archived, read-only (nothing can be sent here).`
          : `You are in #${room.name}: ${room.members} ${room.members === 1 ? "member" : "members"}, ${room.online} online. Type /help for commands.`,
        room.archived ? "warn" : "ok",
        b,
      );
    }
    s.remember();
    void learnNicks(s, b);
  } catch (err) {
    const why = `Cannot open ${s.label(wanted)}: ${(err as Error).message}`;
    if (b.id === undefined) s.buffers.remove(b);
    const back = previous && previous !== b && previous.id !== undefined ? previous : undefined;
    // Nothing to go back to: the picker, with the reason said on the way.
    if (!back) return s.finish("picker", why);
    s.select(back);
    s.note(why, "error");
  }
}

/** How a private conversation introduces itself: encrypted, and how far its keys are trusted. */
function dmIntro(name: string, trust: string | undefined): string {
  return `Private conversation with ${name}, end-to-end encrypted (their keys: ${trust ?? "not fetched yet"}; /verify ${name} to compare).`;
}

/** The members of a buffer's room, for Tab: nicks seen in it come first anyway. */
async function learnNicks(s: ChatState, b: ChatBuffer): Promise<void> {
  if (b.id === undefined) return;
  try {
    const members = await s.conn.members(b.id);
    for (const m of members) if (!b.nicks.has(m.name)) b.nicks.add(m.name);
  } catch {
    // Offline: the nicks seen in messages still complete.
  }
}

/** In flight per buffer: PageUp pressed twice fetches one page, not two. */
const fetching = new WeakSet<ChatBuffer>();

/**
 * Puts up to n messages from before the oldest shown on top of the buffer on screen (PageUp at
 * the top, /history); DMs are opened on the way. Quiet: no note when there is nothing earlier.
 */
export async function showHistory(s: ChatState, n: number, { quiet = false } = {}): Promise<void> {
  const { conn, secure } = s;
  const b = s.buffers.current;
  if (!b || b.id === undefined || b.atBeginning || fetching.has(b)) return;
  const room = b.id;
  const before = b.oldest ?? (s.tracked(room)?.last ?? 0) + 1;
  if (before <= 1) {
    b.atBeginning = true;
    return quiet ? undefined : s.note("No earlier messages.");
  }
  fetching.add(b);
  try {
    const page = await conn.history(room, { before, limit: n });
    // Newest first, each put on top: the messages, and the room's own events among them.
    const older = [...page.messages, ...(page.events ?? [])].sort((x, y) => y.seq - x.seq);
    for (const m of older) {
      if ("kind" in m) {
        if (isRoomEventLine(m)) b.prepend([roomEventEntry(s, m)]);
      } else if (b.kind === "dm" && secure) {
        const opened = await secure.reveal(m, { dedupe: false });
        if (opened) s.show(opened.message, opened.content, { older: true });
      } else if (b.kind === "group") {
        const opened = await s.groups?.revealStored(m);
        if (opened) s.show(opened.message, opened.content, { older: true });
      } else {
        s.show(m, undefined, { older: true });
      }
    }
    if (!page.more) {
      b.atBeginning = true;
      b.prepend([s.noteEntry("That is the beginning of the conversation.")]);
    }
    b.oldest = page.messages[0]?.seq ?? before;
    // What is now on screen is read (a buffer first shown with only its history, for one).
    if (b === s.buffers.current && b.newest > 0) s.session.reads.shown(room, b.newest);
    s.screen.render();
  } finally {
    fetching.delete(b);
  }
}

export function roomCommands(s: ChatState): Record<string, Command> {
  const { conn, style } = s;
  const note = s.note.bind(s);
  return {
    switch: {
      usage: "/switch NAME",
      help: "show another buffer (#room or @person); Alt-1…9, Ctrl-N/P also",
      online: false,
      async run(arg) {
        if (!arg) return note("Which buffer? /switch NAME (Tab completes)", "warn");
        await enterConversation(s, arg.trim());
      },
    },
    rooms: {
      usage: "/rooms",
      help: "list the rooms on the server, with unread counts",
      online: true,
      async run() {
        const rooms = await conn.listRooms();
        if (rooms.length === 0) return note("There are no rooms yet. /create NAME makes one.");
        const labels = rooms.map((r) => s.label(r));
        const width = Math.max(...labels.map((l) => l.length)) + 1;
        s.print(
          rooms.map((r, i) => {
            const unread = r.joined && r.unread > 0 ? `, ${r.unread} unread` : "";
            const who =
              r.kind === "dm"
                ? `private${r.peer ? `, ${r.peer.status}` : ""}`
                : `${r.members} ${r.members === 1 ? "member" : "members"}, ${r.online} online${r.joined ? " (joined)" : ""}`;
            const archived = r.archived ? ", archived (read-only)" : "";
            return `  ${labels[i]?.padEnd(width)} ${who}${archived}${unread}`;
          }),
          style.dim,
        );
      },
    },
    join: {
      usage: "/join NAME",
      help: "join a room and switch to it",
      online: true,
      async run(arg) {
        if (!arg) return note("Which room? /join NAME", "warn");
        await enterConversation(s, arg.trim());
      },
    },
    create: {
      usage: "/create NAME [private]",
      help: "create a room (private: unlisted, invitation only) and switch to it",
      online: true,
      async run(arg) {
        const [name, mode] = arg.trim().split(/\s+/);
        if (!name) return note("Name the room: /create NAME [private]", "warn");
        if (mode !== undefined && mode !== "private") {
          return note("Usage: /create NAME [private]", "warn");
        }
        const room = await conn.create(
          parseTarget(name).name,
          mode === "private" ? "private" : "public",
        );
        note(`Created ${mode === "private" ? "the private room " : ""}#${room.name}.`, "ok");
        await enterConversation(s, room.name);
      },
    },
    leave: {
      usage: "/leave",
      help: "leave this room (its buffer closes)",
      online: true,
      async run() {
        const b = s.buffers.current;
        if (!b || b.id === undefined) return;
        if (b.kind === "dm") return note("A private conversation cannot be left.", "warn");
        await conn.leave(b.id);
        s.buffers.remove(b);
        const next = s.buffers.current;
        if (!next) return s.finish("picker");
        s.select(next);
        note(`You left #${b.name}.`);
      },
    },
    who: {
      usage: "/who",
      help: "who is here, online, away or offline",
      online: true,
      async run() {
        const b = s.buffers.current;
        if (b?.id === undefined) return;
        const members = await conn.members(b.id);
        for (const m of members) if (!b.nicks.has(m.name)) b.nicks.add(m.name);
        const list = members
          .map((m) => `${m.name} (${m.status}${s.blocked.has(m.id) ? ", blocked" : ""})`)
          .join(", ");
        note(`Members of ${s.label()}: ${list}`);
      },
    },
    history: {
      usage: "/history [N]",
      help: `fetch N earlier messages (default ${HISTORY_DEFAULT}); PageUp also`,
      online: true,
      async run(arg) {
        if (s.current.id === undefined) return;
        const n = arg ? Number(arg) : HISTORY_DEFAULT;
        if (!Number.isInteger(n) || n < 1 || n > HISTORY_PAGE_MAX) {
          return note(`N is a number from 1 to ${HISTORY_PAGE_MAX}.`, "warn");
        }
        await showHistory(s, n);
        // Scrolled to the top, so what was fetched is on screen.
        const b = s.buffers.current;
        if (b) b.scroll = Math.max(0, b.lineCount(s.screen.columns) - s.screen.logRows + 1);
        s.screen.render();
      },
    },
  };
}
