/**
 * The live chat view: wires a ChatState to its connection (chat-events.ts), its keys (keymap.ts,
 * key-actions.ts) and its commands (one module per group), and resolves with what the user wants
 * next: quit, the room picker, or (when the server ended the session) a login. Every joined room
 * and DM gets a buffer that receives its messages from the start; a line starting with "/" runs
 * a command, and any other line (or any multi-line text) is sent to the buffer on screen.
 */

import type { Connection } from "../client-core/connection.ts";
import type { FileTransfer } from "../client-core/file-transfer.ts";
import type { Searcher } from "../client-core/message-search.ts";
import type { ReportsApi } from "../client-core/reports-api.ts";
import type { SecureDm } from "../client-core/secure-dm.ts";
import { bufferKey } from "./chat-buffer.ts";
import type { ChatContext, Command } from "./chat-command.ts";
import { listenToConnection } from "./chat-events.ts";
import { ChatState, parseTarget, type ViewOutcome, type ViewStore } from "./chat-state.ts";
import { deviceCommands } from "./device-commands.ts";
import { fileCommands } from "./file-commands.ts";
import { groupCommands, startGroups } from "./group-commands.ts";
import { keyActions } from "./key-actions.ts";
import { KEYMAP } from "./keymap.ts";
import { KeyReader } from "./keys.ts";
import { LineEditor } from "./line-editor.ts";
import { messageCommands } from "./message-commands.ts";
import { moderationCommands } from "./moderation-commands.ts";
import { reportCommands } from "./report-commands.ts";
import { enterConversation, roomCommands } from "./room-commands.ts";
import { searchCommands } from "./search-commands.ts";
import { socialCommands } from "./social-commands.ts";
import type { Style } from "./style.ts";
import { type TerminalOutput, TerminalScreen } from "./terminal-screen.ts";
import { viewCommands } from "./view-commands.ts";

export type { ViewOutcome } from "./chat-state.ts";

export interface TerminalInput {
  setRawMode?(raw: boolean): unknown;
  on(event: "data", fn: (chunk: Buffer | string) => void): unknown;
  off(event: "data", fn: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface ChatViewOptions {
  conn: Connection;
  /** The conversation to open the view in ("name" or "#name" a room, "@name" a DM). */
  room: string;
  input: TerminalInput;
  output: TerminalOutput & {
    on?(event: "resize", fn: () => void): unknown;
    off?(event: "resize", fn: () => void): unknown;
  };
  style: Style;
  /** Encrypted DMs; undefined when encryption could not be set up on this device. */
  secure?: SecureDm;
  /** Uploads and downloads (/upload, /download); without it those commands say so. */
  files?: FileTransfer;
  /** Message search (/search); without it the command says so. */
  search?: Searcher;
  /** Reports to moderators (/report, /reports, /resolve); without it the commands say so. */
  reports?: ReportsApi;
  /** Where the last buffer, input history and highlight settings are kept across restarts. */
  memory?: ViewStore;
  /** Idle this long (no key pressed), the user is shown as away until a key is pressed. @default 10 min */
  autoAwayMs?: number;
}

const AUTO_AWAY_MS = 10 * 60_000;

/** Every command, in the order /help lists them. */
function commandTable(
  s: ChatState,
  search?: Searcher,
  reports?: ReportsApi,
): Record<string, Command> {
  const ctx: ChatContext = {
    conn: s.conn,
    secure: s.secure,
    groups: s.groups,
    note: (text, tone) => s.note(text, tone),
    enter: (name) => enterConversation(s, name),
    blocked: s.blocked,
    here: () => ({ id: s.current.id, kind: s.current.kind }),
    files: s.files,
    shared: s.shared,
    async setAway(away) {
      s.autoAway = false;
      await s.conn.setPresence(away ? "away" : "online");
      s.composeStatus();
      s.screen.render();
    },
  };
  const { quit, ...view } = viewCommands(s, () => commands);
  const commands: Record<string, Command> = {
    ...view,
    ...roomCommands(s),
    ...socialCommands(ctx),
    ...moderationCommands(ctx),
    ...fileCommands(ctx),
    ...messageCommands(s),
    ...searchCommands(s, search),
    ...reportCommands(s, reports),
    ...deviceCommands(ctx),
    ...groupCommands(s),
    ...(quit ? { quit } : {}),
  };
  return commands;
}

/** Runs a line: a command (one line starting with "/"), or a message to the buffer on screen. */
async function runLine(
  s: ChatState,
  commands: Record<string, Command>,
  line: string,
): Promise<void> {
  const { conn, secure } = s;
  const text = line.trim();
  if (text === "") return;
  if (!line.includes("\n") && text.startsWith("/") && !text.startsWith("//")) {
    const [name = "", ...rest] = text.slice(1).split(/\s+/);
    const command = commands[name.toLowerCase()];
    if (!command) return s.note(`Unknown command /${name}. Type /help for the list.`, "warn");
    if (command.online && conn.state !== "open") {
      return s.note(
        `You are offline; ${command.usage.split(" ")[0]} works again once reconnected.`,
        "warn",
      );
    }
    try {
      await command.run(rest.join(" "));
    } catch (err) {
      s.note((err as Error).message, "error");
    }
    return;
  }
  // "//text" sends "/text": a way to start a message with a slash.
  const body = !line.includes("\n") && text.startsWith("//") ? line.trimStart().slice(1) : line;
  const here = s.current;
  if (here.id === undefined) return s.note("Wait until the room is joined.", "warn");
  s.session.sent(here.id);
  if (here.kind === "dm" || here.kind === "group") {
    if (!secure) return s.note("Encryption is not set up on this device: cannot send.", "error");
    if (here.kind === "group") s.groups?.send(here.id, body);
    else secure.send(here.id, body);
  } else {
    conn.send(here.id, body);
  }
  s.refreshPending();
  s.screen.render();
}

/** Away after a while without a key pressed; returns what a key press calls to come back. */
function autoAway(s: ChatState, ms: number): () => void {
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (s.conn.presenceStatus === "away" || s.conn.state !== "open") return;
      s.autoAway = true;
      s.conn.setPresence("away").catch(() => {});
      s.composeStatus();
      s.screen.render();
    }, ms);
  };
  s.onCleanup(() => clearTimeout(idleTimer));
  arm();
  return () => {
    arm();
    if (s.autoAway) {
      s.autoAway = false;
      s.conn.setPresence("online").catch(() => {});
      s.composeStatus();
    }
  };
}

/**
 * A buffer for every room and DM the user is in, receiving from now on (their unread counts as
 * the server has them), so activity shows wherever it happens. The start buffer is entered
 * first; the others are joined behind it.
 */
async function openAllBuffers(s: ChatState, start: string): Promise<void> {
  const first = parseTarget(start);
  s.select(s.openBuffer(first.kind, first.name));
  const rooms = await s.conn.listRooms().catch(() => []);
  for (const r of rooms) {
    if (!r.joined || (r.kind !== "room" && !s.secure)) continue;
    const b = s.openBuffer(r.kind, r.name);
    if (r.kind === "group") b.id = r.id; // attached by SecureGroups.start()
    // Held by the session from the server's counts; the buffer on screen has nothing unread.
    const c = s.session.conversations.track(r);
    if (b === s.buffers.current) c.clearUnread();
    b.counts = c;
  }
  // Rooms by name, then DMs by name: Alt-2 is the same buffer after a restart.
  const sorted = [...rooms].sort(
    (a, b) => (a.kind === b.kind ? 0 : a.kind === "room" ? -1 : 1) || a.name.localeCompare(b.name),
  );
  s.buffers.order(sorted.map((r) => bufferKey(r.kind, r.name)));
  // Groups come with one resume; SecureGroups then judges their membership chains.
  const groups = rooms.filter((r) => r.kind === "group" && r.joined && s.groups);
  await s.conn.attachAll(groups).catch(() => []);
  void s.groups?.start().catch(() => {});
  await enterConversation(s, start);
  for (const b of s.buffers.all) {
    if (b.id !== undefined) continue;
    try {
      const room =
        b.kind === "dm"
          ? await s.secure?.openDm(b.name, { from: "head" })
          : await s.conn.join(b.name, { from: "head" });
      if (room) b.id = room.id;
    } catch {
      s.buffers.remove(b); // left elsewhere meanwhile: no buffer
    }
  }
  s.composeStatus();
  s.screen.render();
}

export function runChatView(o: ChatViewOptions): Promise<ViewOutcome> {
  const editor = new LineEditor();
  const screen = new TerminalScreen(o.output, editor, o.style);
  const s = new ChatState(o.conn, screen, editor, o.style, o.secure, o.files, o.memory);
  listenToConnection(s);
  startGroups(s);
  const commands = commandTable(s, o.search, o.reports);
  const active = autoAway(s, o.autoAwayMs ?? AUTO_AWAY_MS);
  let ended = false;
  const keys = keyActions(
    s,
    commands,
    (line) => runLine(s, commands, line),
    () => {
      ended = true;
      s.finish("quit");
    },
  );
  const reader = new KeyReader();

  const onData = (chunk: Buffer | string) => {
    active();
    for (const key of reader.feed(typeof chunk === "string" ? chunk : chunk.toString("utf8"))) {
      keys.keyPressed(key.kind);
      if (key.kind === "text") {
        editor.insert(key.text);
        // Typing a message (not a command) tells the others, at most once every 3 s.
        if (s.current.id !== undefined && !editor.text.startsWith("/")) {
          s.session.keystroke(s.current.id);
        }
      } else if (key.kind === "paste") keys.paste(key.text);
      else if (key.kind === "buffer") keys.toBuffer(key.index);
      else KEYMAP[key.kind](keys);
      if (ended) return;
    }
    s.composeStatus();
    screen.render();
  };

  o.input.setRawMode?.(true);
  o.input.on("data", onData);
  o.input.resume();
  const onResize = () => screen.render();
  o.output.on?.("resize", onResize);
  s.onCleanup(() => {
    o.input.off("data", onData);
    o.input.setRawMode?.(false);
    o.input.pause();
    o.output.off?.("resize", onResize);
  });

  s.resetStatus();
  s.refreshPending();
  screen.open();
  void (async () => {
    // Whom we block first, so their messages are hidden from the first one replayed.
    try {
      const reply = await o.conn.request<"contacts">({ type: "contacts" });
      for (const b of reply.blocked) s.blocked.set(b.id, b.name);
    } catch {
      // Offline or stopped: entering the conversation reports that.
    }
    await openAllBuffers(s, o.room);
  })();
  return s.done;
}
