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
 */
import { isEvent, type LogEntry, type Message, type RoomEvent } from "../protocol/index.ts";
import type { Connection } from "./connection.ts";
import { applyEvent } from "./message-state.ts";
import { isRoomEventLine } from "./room-event-text.ts";

/** Messages per page read around the target and on each scroll. */
export const WINDOW_PAGE = 50;

/** What changed: a page landed, a message in the window changed, or a live message came. */
export type WindowChange = "page" | "message" | "unseen";

type Page = { messages: Message[]; events?: RoomEvent[] | undefined; more: boolean };

/** What the window needs of a connection (Connection has it). */
export type WindowConnection = Pick<Connection, "history" | "on">;

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
  private inFlight: RoomEvent[] | undefined;
  private readonly off: (() => void)[];

  private constructor(
    private readonly conn: WindowConnection,
    readonly room: number,
    /** The message jumped to. */
    readonly target: number,
    /** Called when the window changed, to redraw what `what` concerns. */
    private readonly changed: (what: WindowChange) => void,
    private readonly page: number,
  ) {
    this.off = [
      conn.on("message", (m) => {
        if (m.room !== this.room) return;
        this.unseen++;
        this.changed("unseen");
      }),
      conn.on("event", (e) => {
        if (e.room !== this.room || e.target === undefined) return;
        this.inFlight?.push(e);
        if (this.apply(e)) this.changed("message");
      }),
    ];
  }

  /**
   * Opens the window around `seq` of `room`: two requests in parallel, whatever the distance
   * to the live tail. Rejects (and listens to nothing) when a page cannot be read.
   */
  static async around(
    conn: WindowConnection,
    room: number,
    seq: number,
    o: { changed?: (what: WindowChange) => void; page?: number } = {},
  ): Promise<HistoryWindow> {
    const w = new HistoryWindow(conn, room, seq, o.changed ?? (() => {}), o.page ?? WINDOW_PAGE);
    w.inFlight = [];
    try {
      const half = Math.max(1, Math.floor(w.page / 2));
      const [before, after] = await Promise.all([
        conn.history(room, { before: seq + 1, limit: w.page - half }),
        conn.history(room, { after: seq, limit: half }),
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
    take: (p: Page) => LogEntry[],
  ): Promise<readonly LogEntry[]> {
    this.loading = which;
    this.inFlight = [];
    try {
      const added = take(await this.conn.history(this.room, q));
      this.landed();
      this.changed("page");
      return added;
    } finally {
      this.loading = undefined;
      this.inFlight = undefined;
    }
  }

  /** A page's messages and the room event lines among them; its message changes are folded. */
  private lines(p: Page): LogEntry[] {
    return [...p.messages, ...(p.events ?? []).filter(isRoomEventLine)];
  }

  /** Applies again what arrived while the page was on its way (a change to a message in it). */
  private landed(): void {
    for (const e of this.inFlight ?? []) this.apply(e);
    this.inFlight = undefined;
  }

  /** A change to a message the window holds: its copy takes the new state. */
  private apply(e: RoomEvent): boolean {
    const i = this.items.findIndex((x) => x.seq === e.target && !isEvent(x));
    const m = this.items[i];
    if (!m || isEvent(m)) return false;
    const next = applyEvent(m, e);
    if (next === m) return false;
    this.items[i] = next;
    return true;
  }
}
