/**
 * The chat view's state, in one object: the buffers (one per joined room and DM, one of them on
 * screen), whom we block, the files shown, who is typing, highlights and the status row.
 * Commands, key actions and connection events all change the view through it, and it keeps the
 * screen's status row and activity bar up to date whenever anything they show changes.
 */

import { ChatSession, PlainConversation } from "../client-core/chat-session.ts";
import type { Connection, TrackedRoom } from "../client-core/connection.ts";
import { dmNotice, skewNotice } from "../client-core/dm-notices.ts";
import type { FileTransfer, SharedFile } from "../client-core/file-transfer.ts";
import { applyEvent, type EventContent, withQuote } from "../client-core/message-state.ts";
import type { DmContent, SecureDm } from "../client-core/secure-dm.ts";
import type { SecureGroups } from "../client-core/secure-group.ts";
import { typingText } from "../client-core/typing-indicator.ts";
import { parseAttachment } from "../crypto/index.ts";
import { type Message, messageLength, type RoomEvent, type RoomKind } from "../protocol/index.ts";
import { BufferList, type ChatBuffer, type Entry, entry } from "./chat-buffer.ts";
import type { NoteTone } from "./chat-command.ts";
import { mentions } from "./highlight.ts";
import type { LineEditor } from "./line-editor.ts";
import { fileLine, formatMessage } from "./message-format.ts";
import type { ViewMemory } from "./session-store.ts";
import type { Style } from "./style.ts";
import type { StatusTone, TerminalScreen } from "./terminal-screen.ts";
import { sanitize, truncate, wrap } from "./text-layout.ts";

export type ViewOutcome = "quit" | "picker" | "session-ended";

/** The conversation on screen: its id is undefined until it is joined (or opened). */
export interface Here {
  id: number | undefined;
  name: string;
  kind: RoomKind;
}

/** "#general" or "@bob": how a conversation is named on screen, everywhere. */
export function conversationLabel(c: { name: string; kind: RoomKind }): string {
  return `${c.kind === "dm" ? "@" : c.kind === "group" ? "&" : "#"}${sanitize(c.name)}`;
}

/** "@bob" is a DM with bob; "&crew" an encrypted group; "#general" or "general" is a room. */
export function parseTarget(target: string): { name: string; kind: RoomKind } {
  if (target.startsWith("@")) return { name: target.slice(1), kind: "dm" };
  if (target.startsWith("&")) return { name: target.slice(1), kind: "group" };
  return { name: target.startsWith("#") ? target.slice(1) : target, kind: "room" };
}

/** Where the view keeps what it remembers across restarts. */
export interface ViewStore {
  load(): ViewMemory;
  save(memory: ViewMemory): void;
}

/** Mentions older than the view (less this, for clocks apart) are replays: no bell. */
const RING_SLACK_MS = 30_000;

/** Input histories remembered, one per conversation. */
const HISTORIES_KEPT = 50;

/** From this share of the limit on, the status row counts the characters typed. */
const COUNTER_FROM = 0.8;

export class ChatState {
  readonly buffers = new BufferList();
  readonly blocked = new Map<number, string>();
  /** Files shown, by id: what /download needs to fetch (and for DMs decrypt) them. */
  readonly shared = new Map<string, SharedFile>();
  /** Typing, read markers and pending sends: the chat session both clients share. */
  readonly session: ChatSession<PlainConversation>;
  readonly memory: ViewMemory;
  /** Away because no key was pressed for a while (not by /away): a key brings the user back. */
  autoAway = false;
  /** Offline since the last "Connection lost" note: said once per outage. */
  wasOffline = false;
  private statusBase = "";
  private readonly openedAt = Date.now();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private finishView: (outcome: ViewOutcome, farewell?: string) => void = () => {};
  readonly done: Promise<ViewOutcome>;
  /** Encrypted groups (set up with `secure`; group-commands.ts). */
  groups: SecureGroups | undefined;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly conn: Connection,
    readonly screen: TerminalScreen,
    readonly editor: LineEditor,
    readonly style: Style,
    readonly secure: SecureDm | undefined,
    readonly files: FileTransfer | undefined,
    private readonly store: ViewStore | undefined,
  ) {
    this.memory = store?.load() ?? { history: {}, highlights: [], bell: true };
    this.session = new ChatSession({ conn, make: (summary) => new PlainConversation(summary) });
    this.done = new Promise<ViewOutcome>((resolve) => {
      this.finishView = (outcome, farewell) => {
        for (const cleanup of this.cleanups.splice(0)) cleanup();
        this.screen.close(farewell);
        resolve(outcome);
      };
    });
    this.onCleanup(
      () => clearTimeout(this.typingTimer),
      () => this.session.close(),
    );
  }

  /** Runs when the view ends, however it ends. */
  onCleanup(...fns: (() => void)[]): void {
    this.cleanups.push(...fns);
  }

  /** Ends the view; `farewell` is said on the terminal's own screen once the view is gone. */
  finish(outcome: ViewOutcome, farewell?: string): void {
    this.finishView(outcome, farewell);
  }

  get current(): Here {
    const b = this.buffers.current;
    return b ? { id: b.id, name: b.name, kind: b.kind } : { id: undefined, name: "", kind: "room" };
  }

  label(c: { name: string; kind: RoomKind } = this.current): string {
    return conversationLabel(c);
  }

  tracked(id: number): TrackedRoom | undefined {
    return this.conn.joinedRooms().find((r) => r.id === id);
  }

  /** True when the room is the conversation on screen. */
  isHere(room: number): boolean {
    return this.buffers.current?.id === room;
  }

  /** The buffer a room's messages go to, made when a room or DM is seen for the first time. */
  bufferFor(room: number): ChatBuffer | undefined {
    const found = this.buffers.byId(room);
    if (found) return found;
    const t = this.tracked(room);
    if (!t) return undefined;
    const b = this.openBuffer(t.kind, t.name);
    b.id = room;
    return b;
  }

  /** The buffer for a conversation, with its remembered input history. */
  openBuffer(kind: RoomKind, name: string): ChatBuffer {
    return this.buffers.open(kind, name, this.memory.history[conversationLabel({ kind, name })]);
  }

  /** Puts a buffer on screen: its counts are cleared, it is marked read and remembered. */
  select(b: ChatBuffer): void {
    const previous = this.buffers.current;
    if (previous && previous !== b) previous.draft = this.editor.text;
    if (previous !== b) this.editor.set(b.draft);
    this.buffers.select(b);
    this.screen.buffer = b;
    if (b.id !== undefined && b.newest > 0) this.session.reads.shown(b.id, b.newest);
    this.remember();
    this.composeStatus();
    this.screen.render();
  }

  /** Saves what the view remembers: the buffer on screen, histories, highlight settings. */
  remember(): void {
    const b = this.buffers.current;
    if (b?.id !== undefined) this.memory.last = b.label;
    for (const x of this.buffers.all) this.memory.history[x.label] = x.history.lines;
    // Bounded: the histories of conversations no longer open go first.
    const labels = Object.keys(this.memory.history);
    const open = new Set(this.buffers.all.map((x) => x.label));
    for (const label of labels.slice(0, Math.max(0, labels.length - HISTORIES_KEPT))) {
      if (!open.has(label)) delete this.memory.history[label];
    }
    try {
      this.store?.save(this.memory);
    } catch {
      // A read-only config directory: the view still works, it just forgets.
    }
  }

  /** Plain lines added to the buffer on screen, each cut to the width, then painted. */
  print(lines: string[], paint: (line: string) => string = (l) => l): void {
    const b = this.buffers.current;
    if (!b) return;
    const clean = lines.map(sanitize);
    b.add(
      entry((columns) => clean.map((l) => paint(truncate(l, columns)))),
      this.screen.columns,
    );
    this.screen.render();
  }

  note(text: string, tone: NoteTone = "info", b = this.buffers.current): void {
    if (!b) return;
    b.add(this.noteEntry(text, tone), this.screen.columns);
    if (b === this.buffers.current) this.screen.render();
  }

  /** A note as an entry: a mark for its tone, and the text wrapped under itself. */
  noteEntry(text: string, tone: NoteTone = "info"): Entry {
    const { style } = this;
    const mark = {
      info: style.dim(style.symbols.info),
      ok: style.green(style.symbols.ok),
      warn: style.yellow(style.symbols.warn),
      error: style.red(style.symbols.error),
    }[tone];
    const clean = sanitize(text);
    return entry((columns) =>
      wrap(clean, columns - 2).map(
        (l, i) => `${i === 0 ? mark : " "} ${tone === "info" ? style.dim(l) : l}`,
      ),
    );
  }

  /** Adds a message (a room's, or a DM once opened) to its buffer, counting and ringing. */
  show(m: Message, content?: DmContent, { older = false } = {}): void {
    const b = this.bufferFor(m.room);
    if (!b) return;
    this.session.stoppedTyping(m.room, m.from.id);
    // A blocked user's messages are hidden (the server already refuses their DMs).
    if (this.blocked.has(m.from.id) && m.from.id !== this.conn.user?.id) return;
    b.nicks.delete(m.from.name);
    b.nicks.add(m.from.name);
    const { body, tone, plain } = this.bodyOf(m, content);
    const me = this.conn.user;
    const own = m.from.id === me?.id;
    const mention = !own && tone !== "loud" && mentions(body, me?.name, this.memory.highlights);
    const shown = withQuote({ ...m, body }, m.reply && b.messages.get(m.reply.seq));
    if (tone === undefined && !plain) b.messages.set(m.seq, shown);
    const e = this.messageEntry(shown, { tone, mention, plain });
    // A DM whose signed time and the server's differ a lot says so under it.
    const skew =
      content?.kind === "text" && content.serverTs !== undefined
        ? [this.noteEntry(skewNotice(m.ts, content.serverTs), "warn")]
        : [];
    if (older) {
      b.prepend([e, ...skew]);
      return;
    }
    b.add(e, this.screen.columns);
    for (const n of skew) b.add(n, this.screen.columns);
    const here = b === this.buffers.current;
    if (here) this.session.reads.shown(m.room, m.seq);
    // Counted by the session's rule, in its conversation, which the buffer's counts are.
    const c = this.session.conversations.forRoom(m.room);
    if (c) {
      if (b.counts !== c) {
        // First met here: the buffer counted nothing so far, whatever the summary said.
        c.clearUnread();
        b.counts = c;
      }
      this.session.arrived(c, m, { me: me?.id ?? 0, seen: here, mention });
    }
    // The bell is for news: not for an old mention replayed when a room is opened.
    if (mention && this.memory.bell && m.ts >= this.openedAt - RING_SLACK_MS) this.screen.bell();
    this.composeStatus();
    this.screen.render();
  }

  /** A message as an entry, drawn at any width; redrawn whole when an event changes it. */
  messageEntry(
    m: Message,
    o: { tone?: "loud" | undefined; mention?: boolean; plain?: boolean | undefined } = {},
  ): Entry {
    const { style } = this;
    const me = this.conn.user;
    return entry((columns) => {
      const lines = formatMessage(m, {
        columns,
        style,
        me: me?.id,
        meName: me?.name,
        plain: o.plain === true,
      });
      if (o.tone === "loud") return lines.map((l) => style.red(l));
      return o.mention ? lines.map((l) => style.yellow(l)) : lines;
    }, m.seq);
  }

  /** An event of a room's log: the message it changes is redrawn in its new state. */
  change(e: RoomEvent, content?: EventContent): void {
    const b = this.bufferFor(e.room);
    if (b && e.kind === "delete" && e.target !== undefined && b.counts.uncount(e.target)) {
      this.composeStatus();
      this.screen.render();
    }
    const target = e.target === undefined ? undefined : b?.messages.get(e.target);
    if (!b || !target) return;
    const next = applyEvent(target, e, content ?? e);
    if (next === target) return;
    b.messages.set(target.seq, next);
    const me = this.conn.user;
    const mention =
      target.from.id !== me?.id && mentions(next.body, me?.name, this.memory.highlights);
    b.replace(this.messageEntry(next, { mention }));
    if (b === this.buffers.current) this.screen.render();
  }

  private bodyOf(
    m: Message,
    content?: DmContent,
  ): { body: string; tone?: "loud"; plain?: boolean } {
    if (m.file) {
      this.shared.set(m.file.id, { kind: "room", file: m.file });
      return { body: `${m.body === "" ? "" : `${m.body} `}${fileLine(m.file)}`, plain: true };
    }
    if (!content || content.kind === "text") {
      const attachment = content ? parseAttachment(content.text) : undefined;
      if (attachment) this.shared.set(attachment.id, { kind: "dm", attachment });
      return attachment
        ? { body: `${fileLine(attachment)} (encrypted)`, plain: true }
        : { body: content?.text ?? m.body };
    }
    // Tampered, or from a device outside the sender's signed list: red, and never a mention.
    const loud = content.kind === "tampered" || content.kind === "unverified-device";
    return {
      body: dmNotice(content, m.from.name) ?? "",
      plain: true,
      ...(loud ? { tone: "loud" as const } : {}),
    };
  }

  /** The pending rows under the log: what was typed and not acknowledged yet. */
  refreshPending(): void {
    this.screen.pending = this.session.pending().map((i) => {
      const attachment = parseAttachment(i.body);
      if (attachment) return `${fileLine(attachment)} (encrypted)`;
      return i.file ? `[file]${i.body ? ` ${i.body}` : ""}` : i.body;
    });
  }

  /**
   * The status row (connection · where · away · who is typing here · a character counter near
   * the limit) and the activity bar; re-drawn as a typing notice expires.
   */
  composeStatus(): void {
    const { conn, screen } = this;
    const away = conn.presenceStatus === "away" ? " · away" : "";
    const c = this.current;
    const typing = c.id === undefined ? "" : typingText(this.session.typing(c.id));
    const text = this.editor.text;
    const lines = text.includes("\n") ? ` · ${text.split("\n").length} lines` : "";
    const limit = conn.limits?.maxMessageChars ?? 4000;
    const used = text.length > limit * COUNTER_FROM ? messageLength(text) : 0;
    const counter =
      used > limit
        ? ` · ${used}/${limit}: ${used - limit} over, Enter keeps it`
        : used >= limit * COUNTER_FROM
          ? ` · ${used}/${limit}`
          : "";
    // A buffer showing older history (/jump far back) says so, with what arrived meanwhile.
    const w = this.buffers.current?.detached?.window;
    const older = w
      ? ` · viewing older messages${w.unseen > 0 ? ` (${w.unseen} new)` : ""}, /latest returns`
      : "";
    screen.status = `${this.statusBase} · ${this.label()}${older}${away} · ${typing || "/help"}${lines}${counter}`;
    screen.bar = this.buffers.bar();
    clearTimeout(this.typingTimer);
    const next = this.session.nextTypingExpiry();
    if (next !== undefined) {
      this.typingTimer = setTimeout(
        () => {
          this.composeStatus();
          screen.render();
        },
        Math.max(50, next - Date.now() + 20),
      );
    }
  }

  setStatus(text: string, tone: StatusTone): void {
    this.statusBase = text;
    this.screen.tone = tone;
    this.composeStatus();
  }

  /** Back to "connected as NAME" (or "connecting…"), e.g. after switching conversations. */
  resetStatus(): void {
    const open = this.conn.state === "open";
    this.setStatus(
      open ? `connected as ${this.conn.user?.name}` : "connecting…",
      open ? "ok" : "warn",
    );
  }
}
