/**
 * The live chat view: the connection's events become lines on the ChatScreen, keys edit the
 * input line, and a line starting with "/" runs a command from one table. Resolves with what
 * the user wants next: quit, the room picker, or (when the server ended the session) a login.
 */
import { HISTORY_PAGE_MAX, type Message, nameKey } from "../protocol/index.ts";
import { ChatScreen, type StatusTone, type TerminalOutput } from "./chat-screen.ts";
import type { Connection, Status } from "./connection.ts";
import { parseKeys } from "./keys.ts";
import { LineEditor } from "./line-editor.ts";
import { formatMessage } from "./message-format.ts";
import { reconnectingText, statusText } from "./status-text.ts";
import type { Style } from "./style.ts";
import { sanitize, wrap } from "./text-layout.ts";

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
}

interface Command {
  usage: string;
  help: string;
  /** Needs an open connection: refused at once while offline rather than left waiting. */
  online: boolean;
  run(arg: string): Promise<void> | void;
}

const HISTORY_DEFAULT = 20;

export function runChatView(o: ChatViewOptions): Promise<ViewOutcome> {
  const { conn, style } = o;
  const editor = new LineEditor();
  const screen = new ChatScreen(o.output, editor, style);
  let current: { id: number | undefined; name: string } = { id: undefined, name: o.room };
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

  const note = (text: string, tone: "info" | "ok" | "warn" | "error" = "info") => {
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

  const roomName = (id: number) => conn.joinedRooms().find((r) => r.id === id)?.name ?? `${id}`;

  const show = (m: Message) => {
    const name = roomName(m.room);
    const here = m.room === current.id || nameKey(name) === nameKey(current.name);
    if (here && !oldest.has(m.room)) oldest.set(m.room, m.seq);
    screen.print(
      formatMessage(m, {
        columns: screen.columns,
        style,
        me: conn.user?.id,
        ...(here ? {} : { roomTag: name }),
      }),
    );
  };

  const refreshPending = () => {
    screen.pending = conn.pending().map((i) => i.body);
  };

  // ---- Connection status: always on the status row; changes are announced in the log too ----
  let ticker: ReturnType<typeof setInterval> | undefined;
  let wasOffline = false;
  const setStatus = (text: string, tone: StatusTone) => {
    screen.status = `${text} · #${current.name} · /help`;
    screen.tone = tone;
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
  cleanups.push(
    () => clearInterval(ticker),
    conn.on("status", onStatus),
    conn.on("message", show),
    conn.on("notice", (text) => note(text, "warn")),
    conn.on("delivered", () => {
      refreshPending();
      screen.render();
    }),
    conn.on("undeliverable", (item, err) => {
      refreshPending();
      note(`Not sent (${err.message}): ${item.body}`, "error");
    }),
  );

  // ---- Commands ----
  const enter = async (name: string) => {
    const previous = current;
    current = { id: undefined, name };
    setStatus(
      conn.state === "open" ? `connected as ${conn.user?.name}` : "connecting…",
      conn.state === "open" ? "ok" : "warn",
    );
    screen.render();
    try {
      const room = await conn.join(name);
      current = { id: room.id, name: room.name };
      setStatus(`connected as ${conn.user?.name}`, "ok");
      note(
        `You are in #${room.name}: ${room.members} ${room.members === 1 ? "member" : "members"}, ${room.online} online. Type /help for commands.`,
        "ok",
      );
    } catch (err) {
      current = previous;
      note(`Cannot join #${name}: ${(err as Error).message}`, "error");
      if (previous.id === undefined) finish("picker");
    }
  };

  const commands: Record<string, Command> = {
    help: {
      usage: "/help",
      help: "this list",
      online: false,
      run() {
        const rows = Object.values(commands).map((c) => `  ${c.usage.padEnd(16)} ${c.help}`);
        screen.print(["Commands:", ...rows, "  Ctrl-C           quit"].map((r) => style.dim(r)));
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
        await conn.leave(current.id);
        note(`You left #${current.name}.`);
        const other = conn.joinedRooms().at(-1);
        if (!other) return finish("picker");
        current = { id: other.id, name: other.name };
        setStatus(`connected as ${conn.user?.name}`, "ok");
        note(`Now in #${other.name}.`);
      },
    },
    who: {
      usage: "/who",
      help: "who is in this room",
      online: true,
      async run() {
        if (current.id === undefined) return;
        const members = await conn.members(current.id);
        const list = members.map((m) => (m.online ? `${m.name} (online)` : m.name)).join(", ");
        note(`Members of #${current.name}: ${list}`);
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
        const room = current.id;
        const before = oldest.get(room) ?? conn.joinedRooms().find((r) => r.id === room)?.last;
        if (before === undefined || before <= 1) return note("No earlier messages.");
        const page = await conn.history(room, { before, limit: n });
        if (page.messages.length === 0) return note("No earlier messages.");
        note(`${page.messages.length} earlier messages in #${current.name}:`);
        for (const m of page.messages) {
          screen.print(formatMessage(m, { columns: screen.columns, style, me: conn.user?.id }));
        }
        oldest.set(room, page.messages[0]?.seq ?? before);
        note(page.more ? "End of page: /history for more." : "That is the beginning of the room.");
      },
    },
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
    conn.send(current.id, body);
    refreshPending();
    screen.render();
  };

  // ---- Keys ----
  const onData = (chunk: Buffer | string) => {
    for (const key of parseKeys(typeof chunk === "string" ? chunk : chunk.toString("utf8"))) {
      switch (key.kind) {
        case "text":
          editor.insert(key.text);
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
  void enter(o.room);
  return done;
}
