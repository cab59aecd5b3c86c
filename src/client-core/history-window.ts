/**
 * A stretch of a room's history around one message, shown detached from the live tail (as
 * Slack and Element jump to a reply's original or a search hit): one `history` page for the
 * message and what precedes it (`before: seq + 1`), one for what follows (`after: seq`), then
 * more pages either way as the reader scrolls. Shared by both clients; they draw it.
 *
 * Invariants. The window holds a contiguous run of the log, each message once, in seq order,
 * in its current state: pages carry messages as they are now, and every change the connection
 * delivers while the window is open is applied to the window's copy (changes that arrive while
 * a page is on its way are applied again once it lands: events set state, so twice is once).
 * Live messages of the room are not the window's: the connection delivers them to the
 * conversation's live tail as always, and the window only counts them (`unseen`). The window
 * meets the tail when its newest seq reaches the first seq the live view holds (or the room's
 * head); `seam()` then gives exactly the entries the live view lacks, so nothing is shown twice
 * or skipped where they join.
 *
 * A sealed room (a DM, an encrypted group) is read the same way, two requests however far back:
 * the server serves ciphertext pages around a seq as for rooms. The client opens each page as it
 * lands (`open`), so only what the window holds is decrypted, and takes the room's changes
 * opened (`changes`), since the connection's own events carry them sealed.
 */
import { isEvent, type LogEntry, type Message, type RoomEvent } from "../protocol/index.ts";
import type { Connection } from "./connection.ts";
import { applyEvent, type EventContent } from "./message-state.ts";
import { isRoomEventLine } from "./room-event-text.ts";

/** Messages per page read around the target and on each scroll. */
export const WINDOW_PAGE = 50;

/** What changed: a page landed, a message in the window changed, or a live message came. */
export type WindowChange = "page" | "message" | "unseen";

export type WindowPage = { messages: Message[]; events?: RoomEvent[] | undefined; more: boolean };

/** What the window needs of a connection (Connection has it). */
export type WindowConnection = Pick<Connection, "history" | "on">;

/** A change to a message, with its content when it came sealed and was opened. */
type ChangeListener = (e: RoomEvent, content?: EventContent) => void;

export interface WindowOptions {
  /** Called when the window changed, to redraw what `what` concerns. */
  changed?: (what: WindowChange) => void;
  page?: number;
  /** A sealed room: opens a page as it lands (its messages with their text). */
  open?: (p: WindowPage) => Promise<WindowPage>;
  /** A sealed room: where its changes come opened (subscribes; returns how to stop). */
  changes?: (fn: ChangeListener) => () => void;
}

export class HistoryWindow {
  /** Messages and the room's own event lines (joins, topics…), oldest first. */
  private items: LogEntry[] = [];
  /** More history exists before the first entry, or after the last. */
  hasOlder = false;
  hasNewer = false;
  /** Live messages of the room that arrived while the window was open. */
  unseen = 0;
  private loading: "older" | "newer" | undefined;
  /** Changes delivered while a page was on its way, applied again when it lands. */
  private inFlight: { e: RoomEvent; content?: EventContent | undefined }[] | undefined;
  private readonly off: (() => void)[];

  private constructor(
    private readonly conn: WindowConnection,
    readonly room: number,
    /** The message jumped to. */
    readonly target: number,
    private readonly o: WindowOptions,
  ) {
    const change: ChangeListener = (e, content) => {
      if (e.room !== this.room || e.target === undefined) return;
      this.inFlight?.push({ e, content });
      if (this.apply(e, content)) this.changed("message");
    };
    this.off = [
      conn.on("message", (m) => {
        if (m.room !== this.room) return;
        this.unseen++;
        this.changed("unseen");
      }),
      o.changes ? o.changes(change) : conn.on("event", (e) => change(e)),
    ];
  }

  private get page(): number {
    return this.o.page ?? WINDOW_PAGE;
  }

  private changed(what: WindowChange): void {
    this.o.changed?.(what);
  }

  /** A page as the window holds it: opened first in a sealed room. */
  private async read(q: { before?: number; after?: number; limit: number }): Promise<WindowPage> {
    const p = await this.conn.history(this.room, q);
    return this.o.open ? this.o.open(p) : p;
  }

  /**
   * Opens the window around `seq` of `room`: two requests in parallel, whatever the distance
   * to the live tail (in a sealed room too). Rejects (and listens to nothing) when a page cannot
   * be read or opened.
   */
  static async around(
    conn: WindowConnection,
    room: number,
    seq: number,
    o: WindowOptions = {},
  ): Promise<HistoryWindow> {
    const w = new HistoryWindow(conn, room, seq, o);
    w.inFlight = [];
    try {
      const half = Math.max(1, Math.floor(w.page / 2));
      const [before, after] = await Promise.all([
        w.read({ before: seq + 1, limit: w.page - half }),
        w.read({ after: seq, limit: half }),
      ]);
      w.items = [...w.lines(before), ...w.lines(after)].sort((a, b) => a.seq - b.seq);
      w.hasOlder = before.more;
      w.hasNewer = after.more;
      w.landed();
      return w;
    } catch (err) {
      w.close();
      throw err;
    }
  }

  /** The entries, oldest first: messages in their current state and room event lines. */
  get entries(): readonly LogEntry[] {
    return this.items;
  }

  get first(): number | undefined {
    return this.items[0]?.seq;
  }

  get last(): number | undefined {
    return this.items[this.items.length - 1]?.seq;
  }

  get busy(): boolean {
    return this.loading !== undefined;
  }

  /** The message at `seq`, if the window holds it. */
  messageAt(seq: number): Message | undefined {
    const found = this.items.find((e) => e.seq === seq && !isEvent(e));
    return found && !isEvent(found) ? found : undefined;
  }

  /** Loads the page before the window; resolves with the entries added (oldest first). */
  async older(): Promise<readonly LogEntry[]> {
    const first = this.first;
    if (!this.hasOlder || this.loading || first === undefined) return [];
    return this.load("older", { before: first, limit: this.page }, (p) => {
      const added = this.lines(p).filter((e) => e.seq < first);
      this.items = [...added, ...this.items];
      this.hasOlder = p.more;
      return added;
    });
  }

  /** Loads the page after the window; resolves with the entries added (oldest first). */
  async newer(): Promise<readonly LogEntry[]> {
    const last = this.last;
    if (!this.hasNewer || this.loading || last === undefined) return [];
    return this.load("newer", { after: last, limit: this.page }, (p) => {
      const added = this.lines(p).filter((e) => e.seq > last);
      this.items = [...this.items, ...added];
      this.hasNewer = p.more;
      return added;
    });
  }

  /**
   * Whether the window reaches the live view, which holds the room contiguously from
   * `liveFirst` on (undefined: it holds nothing yet): then returning to it loses nothing.
   */
  meets(liveFirst: number | undefined): boolean {
    const last = this.last;
    if (last === undefined) return !this.hasNewer;
    return liveFirst === undefined ? !this.hasNewer : last + 1 >= liveFirst;
  }

  /**
   * What the live view lacks of the window when they meet: the entries before `liveFirst`,
   * oldest first, to put before what it shows.
   */
  seam(liveFirst: number | undefined): readonly LogEntry[] {
    return liveFirst === undefined ? this.items : this.items.filter((e) => e.seq < liveFirst);
  }

  /** Stops listening: the window is no longer shown. */
  close(): void {
    for (const off of this.off.splice(0)) off();
  }

  private async load(
    which: "older" | "newer",
    q: { before?: number; after?: number; limit: number },
    take: (p: WindowPage) => LogEntry[],
  ): Promise<readonly LogEntry[]> {
    this.loading = which;
    this.inFlight = [];
    try {
      const added = take(await this.read(q));
      this.landed();
      this.changed("page");
      return added;
    } finally {
      this.loading = undefined;
      this.inFlight = undefined;
    }
  }

  /** A page's messages and the room event lines among them; its message changes are folded. */
  private lines(p: WindowPage): LogEntry[] {
    return [...p.messages, ...(p.events ?? []).filter(isRoomEventLine)];
  }

  /** Applies again what arrived while the page was on its way (a change to a message in it). */
  private landed(): void {
    for (const x of this.inFlight ?? []) this.apply(x.e, x.content);
    this.inFlight = undefined;
  }

  /** A change to a message the window holds: its copy takes the new state. */
  private apply(e: RoomEvent, content?: EventContent): boolean {
    const i = this.items.findIndex((x) => x.seq === e.target && !isEvent(x));
    const m = this.items[i];
    if (!m || isEvent(m)) return false;
    const next = applyEvent(m, e, content ?? e);
    if (next === m) return false;
    this.items[i] = next;
    return true;
  }
}
