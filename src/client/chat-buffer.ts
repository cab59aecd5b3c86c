/**
 * Buffers, as in weechat: every joined room and DM is a buffer that receives its messages live,
 * on screen or not. Each keeps its lines (rendered at the width of the moment), its unread and
 * mention counts, its scroll position, the nicks seen in it and its input history. The list is
 * ordered as buffers were opened, numbered from 1 for Alt-1…9, and one of them is current.
 */
import type { HistoryWindow } from "../client-core/history-window.ts";
import { UnreadCounts } from "../client-core/unread-counts.ts";
import { type Message, nameKey, type RoomKind } from "../protocol/index.ts";
import { InputHistory } from "./input-history.ts";

/** Lines kept per buffer: older ones can be fetched again from the server by scrolling up. */
const ENTRIES_KEPT = 2000;

/** One thing shown in a buffer (a message, a note), drawn for a width when needed. */
export interface Entry {
  seq?: number;
  draw(columns: number): string[];
}

/**
 * A stretch of older history shown instead of the live lines (a /jump far back): the shared
 * window (src/client-core/history-window.ts) and its entries as drawn. The live lines go on
 * receiving messages meanwhile, and come back with /latest.
 */
export interface Detached {
  window: HistoryWindow;
  entries: Entry[];
}

/** Draws an entry once per width. */
export function entry(draw: (columns: number) => string[], seq?: number): Entry {
  let cached: { columns: number; lines: string[] } | undefined;
  return {
    seq,
    draw(columns) {
      if (cached?.columns !== columns) cached = { columns, lines: draw(columns) };
      return cached.lines;
    },
  };
}

export class ChatBuffer {
  /** Undefined until the room is joined (or the DM opened). */
  id: number | undefined;
  readonly entries: Entry[] = [];
  /**
   * Its unread and mention counts: the chat session's conversation once the room is known
   * there (src/client-core/chat-session.ts counts them), empty until then.
   */
  counts: UnreadCounts = new UnreadCounts();
  /** Lines scrolled up from the bottom; 0 follows new messages. */
  scroll = 0;
  /** The oldest seq shown: scrolling up pages history from here. */
  oldest: number | undefined;
  /** The newest seq shown: marked read when the buffer is on screen. */
  newest = 0;
  /** True once the first message of the conversation is shown: no more history to fetch. */
  atBeginning = false;
  /** Nicks seen here, most recent last. */
  readonly nicks = new Set<string>();
  readonly history: InputHistory;
  /** A DM's introduction (encrypted, trust) has been shown. */
  greeted = false;
  /** What was typed here and not sent when another buffer came on screen. */
  draft = "";
  /** The messages shown, by seq, in their current state (events change them here). */
  readonly messages = new Map<number, Message>();
  /** Older history on screen instead of the live lines, if the reader jumped far back. */
  detached: Detached | undefined;

  get unread(): number {
    return this.counts.unread;
  }

  get mentions(): number {
    return this.counts.mentions;
  }

  constructor(
    public name: string,
    readonly kind: RoomKind,
    history: string[] = [],
  ) {
    this.history = new InputHistory(history);
  }

  get key(): string {
    return bufferKey(this.kind, this.name);
  }

  get label(): string {
    return `${this.kind === "dm" ? "@" : this.kind === "group" ? "&" : "#"}${this.name}`;
  }

  /** Appends an entry; a buffer scrolled up keeps its place. */
  add(e: Entry, columns: number): void {
    this.entries.push(e);
    if (e.seq !== undefined) {
      this.newest = Math.max(this.newest, e.seq);
      if (this.oldest === undefined) this.oldest = e.seq;
    }
    // Scrolled up the live lines, the view keeps its place; in a detached window it is apart.
    if (this.scroll > 0 && !this.detached) this.scroll += e.draw(columns).length;
    if (this.entries.length > ENTRIES_KEPT) {
      const gone = this.entries.shift();
      if (gone?.seq !== undefined) this.messages.delete(gone.seq);
      this.atBeginning = false;
      this.oldest = this.entries.find((x) => x.seq !== undefined)?.seq;
    }
  }

  /** Older entries (a history page) go on top; the view does not move. */
  prepend(older: Entry[]): void {
    this.entries.unshift(...older);
    const seqs = older.flatMap((e) => (e.seq === undefined ? [] : [e.seq]));
    if (seqs.length > 0) {
      this.oldest = Math.min(this.oldest ?? Number.POSITIVE_INFINITY, ...seqs);
      this.newest = Math.max(this.newest, ...seqs);
    }
  }

  /** Puts a redrawn entry in place of the one with the same seq; false when it is not shown. */
  replace(e: Entry): boolean {
    const i = this.entries.findIndex((x) => x.seq === e.seq);
    if (i < 0) return false;
    this.entries[i] = e;
    return true;
  }

  /** The `n`th newest message shown (1: the newest), optionally only the user's own. */
  recent(n: number, from?: number): Message | undefined {
    const seqs = [...this.messages.keys()].sort((a, b) => b - a);
    let left = n;
    for (const seq of seqs) {
      const m = this.messages.get(seq) as Message;
      if (from !== undefined && m.from.id !== from) continue;
      if (--left === 0) return m;
    }
    return undefined;
  }

  /** What is on screen: the detached window's entries, or the live ones. */
  get shown(): readonly Entry[] {
    return this.detached?.entries ?? this.entries;
  }

  /** Lines in all, at a width. */
  lineCount(columns: number): number {
    let n = 0;
    for (const e of this.shown) n += e.draw(columns).length;
    return n;
  }

  /** The `rows` lines ending `scroll` lines above the bottom (fewer when there are fewer). */
  window(columns: number, rows: number): string[] {
    const out: string[] = [];
    const shown = this.shown;
    let skip = this.scroll;
    for (let i = shown.length - 1; i >= 0 && out.length < rows; i--) {
      const lines = (shown[i] as Entry).draw(columns);
      for (let j = lines.length - 1; j >= 0 && out.length < rows; j--) {
        if (skip > 0) skip--;
        else out.push(lines[j] as string);
      }
    }
    return out.reverse();
  }
}

export function bufferKey(kind: RoomKind, name: string): string {
  return `${kind}:${nameKey(name)}`;
}

export class BufferList {
  readonly all: ChatBuffer[] = [];
  private index = 0;

  get current(): ChatBuffer | undefined {
    return this.all[this.index];
  }

  find(kind: RoomKind, name: string): ChatBuffer | undefined {
    const key = bufferKey(kind, name);
    return this.all.find((b) => b.key === key);
  }

  byId(id: number): ChatBuffer | undefined {
    return this.all.find((b) => b.id === id);
  }

  /** The buffer for a conversation, made (at the end of the list) if there is none. */
  open(kind: RoomKind, name: string, history?: string[]): ChatBuffer {
    const found = this.find(kind, name);
    if (found) return found;
    const b = new ChatBuffer(name, kind, history);
    this.all.push(b);
    return b;
  }

  /** Orders the buffers as `keys` lists them (the server's order); others keep theirs, after. */
  order(keys: string[]): void {
    const current = this.current;
    const rank = (b: ChatBuffer) => {
      const i = keys.indexOf(b.key);
      return i < 0 ? keys.length : i;
    };
    this.all.sort((a, b) => rank(a) - rank(b));
    if (current) this.index = this.all.indexOf(current);
  }

  remove(b: ChatBuffer): void {
    const i = this.all.indexOf(b);
    if (i < 0) return;
    const wasCurrent = b === this.current;
    b.detached?.window.close();
    b.detached = undefined;
    this.all.splice(i, 1);
    if (i < this.index || (wasCurrent && this.index >= this.all.length)) {
      this.index = Math.max(0, this.index - 1);
    }
  }

  /** Makes a buffer current; its unread and mention counts are cleared. */
  select(b: ChatBuffer): void {
    const i = this.all.indexOf(b);
    if (i < 0) return;
    this.index = i;
    b.counts.clearUnread();
  }

  at(i: number): ChatBuffer | undefined {
    return this.all[i];
  }

  /** The buffer `step` places away from the current one, wrapping around. */
  step(step: number): ChatBuffer | undefined {
    if (this.all.length === 0) return undefined;
    return this.all[(this.index + step + this.all.length) % this.all.length];
  }

  /**
   * The activity bar: each buffer numbered, the current one in brackets, and unread counts
   * after a name, with mentions apart: "[1:#lounge] 2:#dev(3) 3:@bob(2 !1)".
   */
  bar(): string {
    return this.all
      .map((b, i) => {
        const counts =
          b.unread > 0 || b.mentions > 0
            ? `(${b.unread}${b.mentions > 0 ? ` !${b.mentions}` : ""})`
            : "";
        const item = `${i + 1}:${b.label}${counts}`;
        return b === this.current ? `[${item}]` : item;
      })
      .join(" ");
  }
}
