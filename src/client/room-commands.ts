/**
 * The chat commands about rooms and the view itself: switching conversations, listing, joining,
 * creating and leaving rooms, members, earlier messages, help and quit. Entering a conversation
 * and paging its history live here too, as other command groups use them through ChatContext.
 */
import { HISTORY_PAGE_MAX, nameKey } from "../protocol/index.ts";
import type { Command } from "./chat-command.ts";
import { type ChatState, parseTarget } from "./chat-state.ts";

export const HISTORY_DEFAULT = 20;

/** Switches the view to a room by name ("#name" or "name"), or to a DM as "@name". */
export async function enterConversation(s: ChatState, target: string): Promise<void> {
  const { conn, secure, screen } = s;
  const previous = s.current;
  const wanted = parseTarget(target);
  s.current = { id: undefined, ...wanted };
  s.resetStatus();
  screen.render();
  try {
    if (wanted.kind === "dm") {
      const peer = wanted.name;
      if (!secure) throw new Error("encryption could not be set up on this device");
      const known = conn
        .joinedRooms()
        .some((r) => r.kind === "dm" && nameKey(r.name) === nameKey(peer));
      const room = await secure.openDm(peer);
      s.current = { id: room.id, name: room.name, kind: "dm" };
      s.resetStatus();
      const trust = secure.trustOf(room.name);
      s.note(
        `Private conversation with ${room.name}, end-to-end encrypted (their keys: ${trust ?? "not fetched yet"}; /verify ${room.name} to compare). ${room.peer?.status ? `${room.name} is ${room.peer.status}.` : ""}`,
        "ok",
      );
      // Already received from its head: show the recent past once.
      if (known && room.head > 0) await showHistory(s, HISTORY_DEFAULT, { quiet: true });
      return;
    }
    const room = await conn.join(wanted.name);
    s.current = { id: room.id, name: room.name, kind: "room" };
    s.resetStatus();
    s.note(
      `You are in #${room.name}: ${room.members} ${room.members === 1 ? "member" : "members"}, ${room.online} online. Type /help for commands.`,
      "ok",
    );
  } catch (err) {
    s.current = previous;
    s.keepStatus();
    s.note(`Cannot open ${s.label(wanted)}: ${(err as Error).message}`, "error");
    if (previous.id === undefined) s.finish("picker");
  }
}

/** Prints up to n messages before the oldest shown here; DMs are opened on the way. */
export async function showHistory(s: ChatState, n: number, { quiet = false } = {}): Promise<void> {
  const { conn, secure } = s;
  const here = s.current;
  if (here.id === undefined) return;
  const room = here.id;
  const before = s.oldest.get(room) ?? (s.tracked(room)?.last ?? 0) + 1;
  if (before <= 1) return quiet ? undefined : s.note("No earlier messages.");
  const page = await conn.history(room, { before, limit: n });
  if (page.messages.length === 0) return quiet ? undefined : s.note("No earlier messages.");
  const count = page.messages.length;
  s.note(`${count} earlier ${count === 1 ? "message" : "messages"} in ${s.label()}:`);
  for (const m of page.messages) {
    if (here.kind === "dm" && secure) {
      const opened = await secure.reveal(m, { dedupe: false });
      if (opened) s.show(opened.message, opened.content);
    } else {
      s.show(m);
    }
  }
  s.oldest.set(room, page.messages[0]?.seq ?? before);
  s.note(
    page.more ? "End of page: /history for more." : "That is the beginning of the conversation.",
  );
}

export function roomCommands(s: ChatState): Record<string, Command> {
  const { conn, style, screen } = s;
  const note = s.note.bind(s);
  return {
    rooms: {
      usage: "/rooms",
      help: "list the rooms on the server",
      online: true,
      async run() {
        const rooms = await conn.listRooms();
        if (rooms.length === 0) return note("There are no rooms yet. /create NAME makes one.");
        const labels = rooms.map((r) => s.label(r));
        const width = Math.max(...labels.map((l) => l.length)) + 1;
        screen.print(
          rooms.map((r, i) =>
            style.dim(
              `  ${labels[i]?.padEnd(width)} ${r.members} ${r.members === 1 ? "member" : "members"}, ${r.online} online${r.joined ? " (joined)" : ""}`,
            ),
          ),
        );
      },
    },
    join: {
      usage: "/join NAME",
      help: "join a room and switch to it",
      online: true,
      async run(arg) {
        if (!arg) return note("Which room? /join NAME", "warn");
        await enterConversation(s, arg);
      },
    },
    create: {
      usage: "/create NAME",
      help: "create a room and switch to it",
      online: true,
      async run(arg) {
        if (!arg) return note("Name the room: /create NAME", "warn");
        const room = await conn.create(parseTarget(arg).name);
        note(`Created #${room.name}.`, "ok");
        await enterConversation(s, room.name);
      },
    },
    leave: {
      usage: "/leave",
      help: "leave this room",
      online: true,
      async run() {
        const here = s.current;
        if (here.id === undefined) return;
        if (here.kind === "dm") return note("A private conversation cannot be left.", "warn");
        await conn.leave(here.id);
        note(`You left #${here.name}.`);
        const other = conn
          .joinedRooms()
          .filter((r) => r.kind === "room")
          .at(-1);
        if (!other) return s.finish("picker");
        s.current = { id: other.id, name: other.name, kind: "room" };
        s.resetStatus();
        note(`Now in #${other.name}.`);
      },
    },
    who: {
      usage: "/who",
      help: "who is here, online, away or offline",
      online: true,
      async run() {
        if (s.current.id === undefined) return;
        const members = await conn.members(s.current.id);
        const list = members
          .map((m) => `${m.name} (${m.status}${s.blocked.has(m.id) ? ", blocked" : ""})`)
          .join(", ");
        note(`Members of ${s.label()}: ${list}`);
      },
    },
    history: {
      usage: "/history [N]",
      help: `show N earlier messages (default ${HISTORY_DEFAULT})`,
      online: true,
      async run(arg) {
        if (s.current.id === undefined) return;
        const n = arg ? Number(arg) : HISTORY_DEFAULT;
        if (!Number.isInteger(n) || n < 1 || n > HISTORY_PAGE_MAX) {
          return note(`N is a number from 1 to ${HISTORY_PAGE_MAX}.`, "warn");
        }
        await showHistory(s, n);
      },
    },
  };
}
