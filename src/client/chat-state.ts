/**
 * The chat view's state, in one object: the conversation on screen, whom we block, the files
 * shown, how far back each room is shown, who is typing, and the status row. Commands, key
 * actions and connection events all read and change the view through it, and it owns the
 * screen's status row so that row is recomputed whenever anything it shows changes.
 */
import { parseAttachment } from "../crypto/index.ts";
import { type Message, nameKey } from "../protocol/index.ts";
import type { NoteTone } from "./chat-command.ts";
import type { ChatScreen, StatusTone } from "./chat-screen.ts";
import { systemClock } from "./clock.ts";
import type { Connection, TrackedRoom } from "./connection.ts";
import type { FileTransfer, SharedFile } from "./file-transfer.ts";
import { fileLine, formatMessage } from "./message-format.ts";
import { ReadMarker } from "./read-marker.ts";
import type { DmContent, SecureDm } from "./secure-dm.ts";
import type { Style } from "./style.ts";
import { sanitize, wrap } from "./text-layout.ts";
import { TypingIndicator, TypingSender, typingText } from "./typing-indicator.ts";

export type ViewOutcome = "quit" | "picker" | "session-ended";

/** The conversation on screen: its id is undefined until it is joined (or opened). */
export interface Here {
  id: number | undefined;
  name: string;
  kind: "room" | "dm";
}

/** "#general" or "@bob": how a conversation is named on screen, everywhere. */
export function conversationLabel(c: { name: string; kind: "room" | "dm" }): string {
  return `${c.kind === "dm" ? "@" : "#"}${sanitize(c.name)}`;
}

/** "@bob" is a DM with bob; "#general" or "general" is a room. */
export function parseTarget(target: string): { name: string; kind: "room" | "dm" } {
  if (target.startsWith("@")) return { name: target.slice(1), kind: "dm" };
  return { name: target.startsWith("#") ? target.slice(1) : target, kind: "room" };
}

export class ChatState {
  current: Here;
  readonly blocked = new Map<number, string>();
  /** Files shown, by id: what /download needs to fetch (and for DMs decrypt) them. */
  readonly shared = new Map<string, SharedFile>();
  /** The oldest seq shown per room: /history pages back from here. */
  readonly oldest = new Map<number, number>();
  readonly typingShown = new TypingIndicator();
  readonly typingSent: TypingSender;
  readonly reads: ReadMarker;
  /** Away because no key was pressed for a while (not by /away): a key brings the user back. */
  autoAway = false;
  /** Offline since the last "Connection lost" note: said once per outage. */
  wasOffline = false;
  private statusBase = "";
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private finishView: (outcome: ViewOutcome) => void = () => {};
  readonly done: Promise<ViewOutcome>;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly conn: Connection,
    readonly screen: ChatScreen,
    readonly style: Style,
    readonly secure: SecureDm | undefined,
    readonly files: FileTransfer | undefined,
    start: string,
  ) {
    this.current = { id: undefined, ...parseTarget(start) };
    this.typingSent = new TypingSender((room) => conn.notify({ type: "typing", room }));
    this.reads = new ReadMarker(
      (room, seq) => conn.notify({ type: "read", room, seq }),
      systemClock,
    );
    this.done = new Promise<ViewOutcome>((resolve) => {
      this.finishView = (outcome) => {
        for (const cleanup of this.cleanups.splice(0)) cleanup();
        this.screen.close();
        resolve(outcome);
      };
    });
    this.onCleanup(
      () => clearTimeout(this.typingTimer),
      () => this.reads.close(),
    );
  }

  /** Runs when the view ends, however it ends. */
  onCleanup(...fns: (() => void)[]): void {
    this.cleanups.push(...fns);
  }

  finish(outcome: ViewOutcome): void {
    this.finishView(outcome);
  }

  label(c: { name: string; kind: "room" | "dm" } = this.current): string {
    return conversationLabel(c);
  }

  tracked(id: number): TrackedRoom | undefined {
    return this.conn.joinedRooms().find((r) => r.id === id);
  }

  /** True when the room is the conversation on screen (or is becoming it). */
  isHere(room: number): boolean {
    const c = this.current;
    if (room === c.id) return true;
    const t = this.tracked(room);
    return c.id === undefined && !!t && t.kind === c.kind && nameKey(t.name) === nameKey(c.name);
  }

  note(text: string, tone: NoteTone = "info"): void {
    const { style, screen } = this;
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
  }

  /** Prints a message (a room's, or a DM once opened) and marks it read. */
  show(m: Message, content?: DmContent): void {
    const { style, screen } = this;
    const t = this.tracked(m.room);
    const here = this.isHere(m.room);
    this.typingShown.stopped(m.room, m.from.id);
    this.composeStatus();
    this.reads.shown(m.room, m.seq);
    if (here && !this.oldest.has(m.room)) this.oldest.set(m.room, m.seq);
    // A blocked user's messages are hidden (the server already refuses their DMs).
    if (this.blocked.has(m.from.id) && m.from.id !== this.conn.user?.id) return;
    const tag = here ? {} : { roomTag: t ? this.label(t) : `#${m.room}` };
    const options = { columns: screen.columns, style, me: this.conn.user?.id, ...tag };
    if (m.file) {
      this.shared.set(m.file.id, { kind: "room", file: m.file });
      const caption = m.body === "" ? "" : `${m.body} `;
      screen.print(formatMessage({ ...m, body: caption + fileLine(m.file) }, options));
      return;
    }
    if (!content || content.kind === "text") {
      const attachment = content ? parseAttachment(content.text) : undefined;
      if (attachment) this.shared.set(attachment.id, { kind: "dm", attachment });
      const body = attachment ? `${fileLine(attachment)} (encrypted)` : m.body;
      screen.print(formatMessage({ ...m, body }, options));
      return;
    }
    const text =
      content.kind === "tampered"
        ? "⚠ tampered message: it was altered or forged, so it is not shown"
        : content.kind === "not-addressed"
          ? "(not encrypted for this device)"
          : "(sent from a device whose keys are unknown: not shown)";
    const lines = formatMessage({ ...m, body: text }, options);
    screen.print(content.kind === "tampered" ? lines.map((l) => style.red(l)) : lines);
  }

  /** The pending rows under the log: what was typed and not acknowledged yet. */
  refreshPending(): void {
    this.screen.pending = this.conn.pending().map((i) => {
      const attachment = parseAttachment(i.body);
      if (attachment) return `${fileLine(attachment)} (encrypted)`;
      return i.file ? `[file]${i.body ? ` ${i.body}` : ""}` : i.body;
    });
  }

  /** The status row: connection · where · away · who is typing here (re-drawn as that expires). */
  composeStatus(): void {
    const { conn, screen } = this;
    const away = conn.presenceStatus === "away" ? " · away" : "";
    const c = this.current;
    const typing = c.id === undefined ? "" : typingText(this.typingShown.who(c.id, Date.now()));
    screen.status = `${this.statusBase} · ${this.label()}${away} · ${typing || "/help"}`;
    clearTimeout(this.typingTimer);
    const next = this.typingShown.nextExpiry();
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

  keepStatus(): void {
    this.setStatus(this.statusBase, this.screen.tone);
  }
}
