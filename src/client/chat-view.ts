/**
 * The live chat view: the connection's events become lines on the ChatScreen, keys edit the
 * input line, and a line starting with "/" runs a command from one table. Rooms and DMs ("@bob")
 * share it: DMs arrive opened by SecureDm, presence and join/leave notices print as they come,
 * and who is typing shows on the status row. Resolves with what the user wants next: quit, the
 * room picker, or (when the server ended the session) a login.
 */

import { parseAttachment } from "../crypto/index.ts";
import { HISTORY_PAGE_MAX, type Message, nameKey, type UserRef } from "../protocol/index.ts";
import type { ChatContext, Command, NoteTone } from "./chat-command.ts";
import { ChatScreen, type StatusTone, type TerminalOutput } from "./chat-screen.ts";
import { systemClock } from "./clock.ts";
import type { Connection, PushFrame, Status } from "./connection.ts";
import { deviceCommands } from "./device-commands.ts";
import { dmNotice, keyChangeIsLoud, keyChangeText, skewNotice } from "./dm-notices.ts";
import { fileCommands } from "./file-commands.ts";
import type { FileTransfer, SharedFile } from "./file-transfer.ts";
import { parseKeys } from "./keys.ts";
import { LineEditor } from "./line-editor.ts";
import { fileLine, formatMessage } from "./message-format.ts";
import { ReadMarker } from "./read-marker.ts";
import type { DmContent, SecureDm } from "./secure-dm.ts";
import { socialCommands } from "./social-commands.ts";
import { reconnectingText, statusText } from "./status-text.ts";
import type { Style } from "./style.ts";
import { sanitize, wrap } from "./text-layout.ts";
import { TypingIndicator, TypingSender, typingText } from "./typing-indicator.ts";

export type ViewOutcome = "quit" | "picker" | "session-ended";

export interface TerminalInput {
  setRawMode?(raw: boolean): unknown;
  on(event: "data", fn: (chunk: Buffer | string) => void): unknown;
  off(event: "data", fn: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface ChatViewOptions {
  conn: Connection;
  /** The room to open the view in; it is joined first. */
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
  /** Idle this long (no key pressed), the user is shown as away until a key is pressed. @default 10 min */
  autoAwayMs?: number;
}

const HISTORY_DEFAULT = 20;
const AUTO_AWAY_MS = 10 * 60_000;

export function runChatView(o: ChatViewOptions): Promise<ViewOutcome> {
  const { conn, style, secure } = o;
  const editor = new LineEditor();
  const screen = new ChatScreen(o.output, editor, style);
  const dmName = (name: string) => (name.startsWith("@") ? name.slice(1) : undefined);
  let current: { id: number | undefined; name: string; kind: "room" | "dm" } = {
    id: undefined,
    name: dmName(o.room) ?? o.room,
    kind: dmName(o.room) !== undefined ? "dm" : "room",
  };
  /** "#general" or "@bob": how the current conversation is named on screen. */
  const label = (c: { name: string; kind: "room" | "dm" } = current) =>
    `${c.kind === "dm" ? "@" : "#"}${c.name}`;
  const blocked = new Map<number, string>();
  const typingShown = new TypingIndicator();
  const typingSent = new TypingSender((room) => conn.notify({ type: "typing", room }));
  const reads = new ReadMarker(
    (room, seq) => conn.notify({ type: "read", room, seq }),
    systemClock,
  );
  /** Files shown, by id: what /download needs to fetch (and for DMs decrypt) them. */
  const shared = new Map<string, SharedFile>();
  /** The oldest seq shown per room: /history pages back from here. */
  const oldest = new Map<number, number>();
  const cleanups: (() => void)[] = [];
  let finish: (outcome: ViewOutcome) => void = () => {};
  const done = new Promise<ViewOutcome>((resolve) => {
    finish = (outcome) => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      screen.close();
      resolve(outcome);
    };
  });

  const note = (text: string, tone: NoteTone = "info") => {
    const mark = {
      info: style.dim("·"),
      ok: style.green("✓"),
      warn: style.yellow("!"),
      error: style.red("✕"),
    }[tone];
    const lines = wrap(sanitize(text), screen.columns - 2);
    screen.print(
      lines.map((l, i) => `${i === 0 ? mark : " "} ${tone === "info" ? style.dim(l) : l}`),
    );
  };

  const tracked = (id: number) => conn.joinedRooms().find((r) => r.id === id);
  const isHere = (room: number) => {
    if (room === current.id) return true;
    const t = tracked(room);
    return (
      current.id === undefined &&
      !!t &&
      t.kind === current.kind &&
      nameKey(t.name) === nameKey(current.name)
    );
  };

  /** Prints a message (a room's, or a DM once opened) and marks it read. */
  const show = (m: Message, content?: DmContent) => {
    const t = tracked(m.room);
    const here = isHere(m.room);
    typingShown.stopped(m.room, m.from.id);
    reads.shown(m.room, m.seq);
    if (here && !oldest.has(m.room)) oldest.set(m.room, m.seq);
    // A blocked user's messages are hidden (the server already refuses their DMs).
    if (blocked.has(m.from.id) && m.from.id !== conn.user?.id) return;
    const tag = here ? {} : { roomTag: t ? label(t) : `#${m.room}` };
    const options = { columns: screen.columns, style, me: conn.user?.id, ...tag };
    if (m.file) {
      shared.set(m.file.id, { kind: "room", file: m.file });
      const caption = m.body === "" ? "" : `${m.body} `;
      screen.print(formatMessage({ ...m, body: caption + fileLine(m.file) }, options));
      return;
    }
    if (!content || content.kind === "text") {
      const attachment = content ? parseAttachment(content.text) : undefined;
      if (attachment) shared.set(attachment.id, { kind: "dm", attachment });
      const body = attachment ? `${fileLine(attachment)} (encrypted)` : m.body;
      screen.print(formatMessage({ ...m, body }, options));
      if (content?.kind === "text" && content.serverTs !== undefined) {
        note(skewNotice(m.ts, content.serverTs), "warn");
      }
      return;
    }
    const text = dmNotice(content, m.from.name) ?? "";
    const lines = formatMessage({ ...m, body: text }, options);
    const loud = content.kind === "tampered" || content.kind === "unverified-device";
    screen.print(loud ? lines.map((l) => style.red(l)) : lines);
  };

  const onRoomMessage = (m: Message) => {
    // DMs are shown once opened, by SecureDm's own event.
    if (m.envelope !== undefined || tracked(m.room)?.kind === "dm") return;
    show(m);
  };

  const refreshPending = () => {
    screen.pending = conn.pending().map((i) => {
      const attachment = parseAttachment(i.body);
      if (attachment) return `${fileLine(attachment)} (encrypted)`;
      return i.file ? `[file]${i.body ? ` ${i.body}` : ""}` : i.body;
    });
  };

  // ---- Connection status: always on the status row; changes are announced in the log too ----
  let ticker: ReturnType<typeof setInterval> | undefined;
  let wasOffline = false;
  let statusBase = "";
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** The status row: connection · where · away · who is typing here (re-drawn as that expires). */
  const composeStatus = () => {
    const away = conn.presenceStatus === "away" ? " · away" : "";
    const typing =
      current.id === undefined ? "" : typingText(typingShown.who(current.id, Date.now()));
    screen.status = `${statusBase} · ${label()}${away} · ${typing || "/help"}`;
    clearTimeout(typingTimer);
    const next = typingShown.nextExpiry();
    if (next !== undefined) {
      typingTimer = setTimeout(
        () => {
          composeStatus();
          screen.render();
        },
        Math.max(50, next - Date.now() + 20),
      );
    }
  };
  const setStatus = (text: string, tone: StatusTone) => {
    statusBase = text;
    screen.tone = tone;
    composeStatus();
  };
  const onStatus = (s: Status) => {
    clearInterval(ticker);
    ticker = undefined;
    refreshPending();
    switch (s.kind) {
      case "reconnecting": {
        if (!wasOffline) note(`Connection lost: ${s.reason}. Reconnecting…`, "warn");
        wasOffline = true;
        const at = Date.now() + s.delayMs;
        const tick = () => {
          const left = Math.max(0, Math.ceil((at - Date.now()) / 1000));
          setStatus(reconnectingText(s, left), "warn");
          screen.render();
        };
        tick();
        ticker = setInterval(tick, 1000);
        return;
      }
      case "back-online":
        wasOffline = false;
        setStatus(statusText(s), "ok");
        note(
          `Back online${s.server ? ` on ${s.server}` : ""}: ${s.caughtUp} missed ${s.caughtUp === 1 ? "message" : "messages"} caught up.`,
          "ok",
        );
        return;
      case "stopped":
        setStatus(statusText(s), "error");
        note(s.message, "error");
        finish(s.reason === "session-ended" ? "session-ended" : "quit");
        return;
      default:
        setStatus(statusText(s), s.kind === "connected" ? "ok" : "warn");
        screen.render();
    }
  };
  const userName = (u: UserRef) => sanitize(u.name);
  const onPush = (f: PushFrame) => {
    const me = conn.user?.id;
    switch (f.type) {
      case "typing":
        if (f.user.id === me || blocked.has(f.user.id)) return;
        typingShown.typing(f.room, f.user, Date.now());
        composeStatus();
        screen.render();
        return;
      case "notice": {
        if (f.user.id === me || blocked.has(f.user.id)) return;
        const t = tracked(f.room);
        if (f.event === "left") typingShown.stopped(f.room, f.user.id);
        note(
          `${userName(f.user)} ${f.event === "joined" ? "joined" : "left"} ${t ? label(t) : "a room"}.`,
        );
        return;
      }
      case "presence":
        // Said once, where it matters: in the conversation on screen.
        if (f.user.id === me || blocked.has(f.user.id) || !isHere(f.room)) return;
        if (f.status === "offline") typingShown.stopped(f.room, f.user.id);
        note(`${userName(f.user)} is ${f.status === "online" ? "online" : f.status}.`);
        return;
      case "dm_opened":
        if (f.room.peer && f.room.peer.id !== me) {
          note(
            `${userName(f.room.peer)} opened a private conversation with you: /dm ${f.room.peer.name}`,
            "ok",
          );
        }
        return;
      case "devices_changed":
        return; // SecureDm fetches the keys again and says what changed
    }
  };
  cleanups.push(
    () => clearInterval(ticker),
    () => clearTimeout(typingTimer),
    () => reads.close(),
    conn.on("status", onStatus),
    conn.on("message", onRoomMessage),
    conn.on("push", onPush),
    conn.on("notice", (text) => note(text, "warn")),
    conn.on("delivered", () => {
      refreshPending();
      screen.render();
    }),
    conn.on("undeliverable", (item, err) => {
      refreshPending();
      if (err.code === "HELD") return; // SecureDm says why it waits
      note(`Not sent (${err.message}): ${item.body}`, "error");
    }),
  );
  if (secure) {
    cleanups.push(
      secure.on("message", (m, content) => show(m, content)),
      secure.on("keys", (k) => note(keyChangeText(k), keyChangeIsLoud(k) ? "error" : "info")),
      secure.on("held", (peer, body) => {
        refreshPending();
        const who = secure.trustOf(peer.name) === "changed" ? peer.name : (conn.user?.name ?? "");
        note(`Waiting, not sent: "${body}" (keys changed). /trust ${who} to send it.`, "warn");
      }),
      secure.on("problem", (text) => note(text, "warn")),
    );
  }

  // ---- Commands ----
  const enter = async (target: string) => {
    const previous = current;
    const peer = dmName(target);
    current = { id: undefined, name: peer ?? target, kind: peer !== undefined ? "dm" : "room" };
    setStatus(
      conn.state === "open" ? `connected as ${conn.user?.name}` : "connecting…",
      conn.state === "open" ? "ok" : "warn",
    );
    screen.render();
    try {
      if (peer !== undefined) {
        if (!secure) throw new Error("encryption could not be set up on this device");
        const known = conn
          .joinedRooms()
          .some((r) => r.kind === "dm" && nameKey(r.name) === nameKey(peer));
        const room = await secure.openDm(peer);
        current = { id: room.id, name: room.name, kind: "dm" };
        setStatus(`connected as ${conn.user?.name}`, "ok");
        const trust = secure.trustOf(room.name);
        note(
          `Private conversation with ${room.name}, end-to-end encrypted (their keys: ${trust ?? "not fetched yet"}; /verify ${room.name} to compare). ${room.peer?.status ? `${room.name} is ${room.peer.status}.` : ""}`,
          "ok",
        );
        // Already received from its head: show the recent past once.
        if (known && room.head > 0) await showHistory(HISTORY_DEFAULT, { quiet: true });
        return;
      }
      const room = await conn.join(target);
      current = { id: room.id, name: room.name, kind: "room" };
      setStatus(`connected as ${conn.user?.name}`, "ok");
      note(
        `You are in #${room.name}: ${room.members} ${room.members === 1 ? "member" : "members"}, ${room.online} online. Type /help for commands.`,
        "ok",
      );
    } catch (err) {
      current = previous;
      setStatus(statusBase, screen.tone);
      note(
        `Cannot open ${peer !== undefined ? `@${peer}` : `#${target}`}: ${(err as Error).message}`,
        "error",
      );
      if (previous.id === undefined) finish("picker");
    }
  };

  /** Prints up to n messages before the oldest shown here; DMs are opened on the way. */
  const showHistory = async (n: number, { quiet = false } = {}) => {
    if (current.id === undefined) return;
    const room = current.id;
    const before = oldest.get(room) ?? (tracked(room)?.last ?? 0) + 1;
    if (before <= 1) return quiet ? undefined : note("No earlier messages.");
    const page = await conn.history(room, { before, limit: n });
    if (page.messages.length === 0) return quiet ? undefined : note("No earlier messages.");
    note(`${page.messages.length} earlier messages in ${label()}:`);
    for (const m of page.messages) {
      if (current.kind === "dm" && secure) {
        const opened = await secure.reveal(m, { dedupe: false });
        if (opened) show(opened.message, opened.content);
      } else {
        show(m);
      }
    }
    oldest.set(room, page.messages[0]?.seq ?? before);
    note(
      page.more ? "End of page: /history for more." : "That is the beginning of the conversation.",
    );
  };

  let autoAway = false;
  const ctx: ChatContext = {
    conn,
    secure,
    note,
    enter,
    blocked,
    here: () => ({ id: current.id, kind: current.kind }),
    files: o.files,
    shared,
    async setAway(away) {
      autoAway = false;
      await conn.setPresence(away ? "away" : "online");
      composeStatus();
      screen.render();
    },
  };

  const commands: Record<string, Command> = {
    help: {
      usage: "/help",
      help: "this list",
      online: false,
      run() {
        const rows = Object.values(commands).map((c) => `  ${c.usage.padEnd(28)} ${c.help}`);
        const all = ["Commands:", ...rows, `  ${"Ctrl-C".padEnd(28)} quit`];
        screen.print(all.map((r) => style.dim(r.slice(0, screen.columns))));
      },
    },
    rooms: {
      usage: "/rooms",
      help: "list the rooms on the server",
      online: true,
      async run() {
        const rooms = await conn.listRooms();
        if (rooms.length === 0) return note("There are no rooms yet. /create NAME makes one.");
        const width = Math.max(...rooms.map((r) => r.name.length)) + 1;
        screen.print(
          rooms.map((r) =>
            style.dim(
              `  #${r.name.padEnd(width)} ${r.members} ${r.members === 1 ? "member" : "members"}, ${r.online} online${r.joined ? " (joined)" : ""}`,
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
        await enter(arg);
      },
    },
    create: {
      usage: "/create NAME",
      help: "create a room and switch to it",
      online: true,
      async run(arg) {
        if (!arg) return note("Name the room: /create NAME", "warn");
        const room = await conn.create(arg);
        note(`Created #${room.name}.`, "ok");
        await enter(room.name);
      },
    },
    leave: {
      usage: "/leave",
      help: "leave this room",
      online: true,
      async run() {
        if (current.id === undefined) return;
        if (current.kind === "dm") return note("A private conversation cannot be left.", "warn");
        await conn.leave(current.id);
        note(`You left #${current.name}.`);
        const other = conn
          .joinedRooms()
          .filter((r) => r.kind === "room")
          .at(-1);
        if (!other) return finish("picker");
        current = { id: other.id, name: other.name, kind: "room" };
        setStatus(`connected as ${conn.user?.name}`, "ok");
        note(`Now in #${other.name}.`);
      },
    },
    who: {
      usage: "/who",
      help: "who is here, online, away or offline",
      online: true,
      async run() {
        if (current.id === undefined) return;
        const members = await conn.members(current.id);
        const list = members
          .map((m) => `${m.name} (${m.status}${blocked.has(m.id) ? ", blocked" : ""})`)
          .join(", ");
        note(`Members of ${label()}: ${list}`);
      },
    },
    history: {
      usage: "/history [N]",
      help: `show N earlier messages (default ${HISTORY_DEFAULT})`,
      online: true,
      async run(arg) {
        if (current.id === undefined) return;
        const n = arg ? Number(arg) : HISTORY_DEFAULT;
        if (!Number.isInteger(n) || n < 1 || n > HISTORY_PAGE_MAX) {
          return note(`N is a number from 1 to ${HISTORY_PAGE_MAX}.`, "warn");
        }
        await showHistory(n);
      },
    },
    ...socialCommands(ctx),
    ...fileCommands(ctx),
    ...deviceCommands(ctx),
    quit: {
      usage: "/quit",
      help: "leave Parley",
      online: false,
      run() {
        finish("quit");
      },
    },
  };

  const runLine = async (line: string) => {
    const text = line.trim();
    if (text === "") return;
    if (text.startsWith("/") && !text.startsWith("//")) {
      const [name = "", ...rest] = text.slice(1).split(/\s+/);
      const command = commands[name.toLowerCase()];
      if (!command) return note(`Unknown command /${name}. Type /help for the list.`, "warn");
      if (command.online && conn.state !== "open") {
        return note(
          `You are offline; ${command.usage.split(" ")[0]} works again once reconnected.`,
          "warn",
        );
      }
      try {
        await command.run(rest.join(" "));
      } catch (err) {
        note((err as Error).message, "error");
      }
      return;
    }
    // "//text" sends "/text": a way to start a message with a slash.
    const body = text.startsWith("//") ? line.trimStart().slice(1) : line;
    if (current.id === undefined) return note("Wait until the room is joined.", "warn");
    typingSent.sent(current.id);
    if (current.kind === "dm") {
      if (!secure) return note("Encryption is not set up on this device: cannot send.", "error");
      secure.send(current.id, body);
    } else {
      conn.send(current.id, body);
    }
    refreshPending();
    screen.render();
  };

  // ---- Away after a while without a key pressed; any key brings the user back ----
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (conn.presenceStatus === "away" || conn.state !== "open") return;
      autoAway = true;
      conn.setPresence("away").catch(() => {});
      composeStatus();
      screen.render();
    }, o.autoAwayMs ?? AUTO_AWAY_MS);
  };
  const activity = () => {
    armIdle();
    if (autoAway) {
      autoAway = false;
      conn.setPresence("online").catch(() => {});
      composeStatus();
    }
  };
  cleanups.push(() => clearTimeout(idleTimer));
  armIdle();

  // ---- Keys ----
  const onData = (chunk: Buffer | string) => {
    activity();
    for (const key of parseKeys(typeof chunk === "string" ? chunk : chunk.toString("utf8"))) {
      switch (key.kind) {
        case "text":
          editor.insert(key.text);
          // Typing a message (not a command) tells the others, at most once every 3 s.
          if (current.id !== undefined && !editor.text.startsWith("/")) {
            typingSent.keystroke(current.id, Date.now());
          }
          break;
        case "enter":
          void runLine(editor.take());
          break;
        case "backspace":
          editor.backspace();
          break;
        case "delete":
          editor.deleteForward();
          break;
        case "left":
          editor.left();
          break;
        case "right":
          editor.right();
          break;
        case "home":
          editor.home();
          break;
        case "end":
          editor.end();
          break;
        case "kill-line":
          editor.killToStart();
          break;
        case "kill-word":
          editor.killWord();
          break;
        case "redraw":
          break;
        case "interrupt":
          return finish("quit");
        case "eof":
          if (editor.isEmpty) return finish("quit");
          editor.deleteForward();
          break;
      }
    }
    screen.render();
  };

  o.input.setRawMode?.(true);
  o.input.on("data", onData);
  o.input.resume();
  const onResize = () => screen.render();
  o.output.on?.("resize", onResize);
  cleanups.push(() => {
    o.input.off("data", onData);
    o.input.setRawMode?.(false);
    o.input.pause();
    o.output.off?.("resize", onResize);
  });

  setStatus(
    conn.state === "open" ? `connected as ${conn.user?.name}` : "connecting…",
    conn.state === "open" ? "ok" : "warn",
  );
  refreshPending();
  screen.render();
  void (async () => {
    // Whom we block first, so their messages are hidden from the first one replayed.
    try {
      const reply = await conn.request<"contacts">({ type: "contacts" });
      for (const b of reply.blocked) blocked.set(b.id, b.name);
    } catch {
      // Offline or stopped: enter() reports that.
    }
    await enter(o.room);
  })();
  return done;
}
