/**
 * The terminal's view of a buffer detached from its live lines: /jump to a message older than
 * the buffer holds opens the shared history window around it (src/client-core/history-window.ts:
 * two reads however far back), drawn in the buffer's place with the message in the middle.
 * PageUp at its top and PageDown at its bottom load a page more; PageDown where the window
 * meets the live lines, or /latest, goes back to them, with every message once. The status row
 * says the view is detached and counts what arrived live meanwhile.
 */
import { HistoryWindow } from "../client-core/history-window.ts";
import { withQuote } from "../client-core/message-state.ts";
import { isEvent } from "../protocol/index.ts";
import type { ChatBuffer, Entry } from "./chat-buffer.ts";
import type { ChatState } from "./chat-state.ts";
import { fileLine } from "./message-format.ts";
import { roomEventEntry } from "./room-event-lines.ts";

/** Draws the window's entries in the buffer's place. */
function draw(s: ChatState, b: ChatBuffer): void {
  const d = b.detached;
  if (!d) return;
  d.entries = entriesOf(s, d.window);
  if (!d.window.hasOlder)
    d.entries.unshift(s.noteEntry("That is the beginning of the conversation."));
}

/** The window's entries drawn as the live lines draw them (a blocked user's left out). */
function entriesOf(s: ChatState, w: HistoryWindow): Entry[] {
  const me = s.conn.user?.id;
  return w.entries.flatMap((e) => {
    if (isEvent(e)) return [roomEventEntry(s, e)];
    if (s.blocked.has(e.from.id) && e.from.id !== me) return [];
    const m = withQuote(e, e.reply && w.messageAt(e.reply.seq));
    if (!m.file) return [s.messageEntry(m)];
    const body = `${m.body === "" ? "" : `${m.body} `}${fileLine(m.file)}`;
    return [s.messageEntry({ ...m, body }, { plain: true })];
  });
}

/** Lines drawn below the entry of `seq` (and its own), at the screen's width. */
function linesFrom(
  s: ChatState,
  entries: readonly Entry[],
  seq: number,
): { below: number; own: number } {
  const at = entries.findIndex((e) => e.seq === seq);
  let below = 0;
  for (const e of entries.slice(at + 1)) below += e.draw(s.screen.columns).length;
  return { below, own: entries[at]?.draw(s.screen.columns).length ?? 1 };
}

/** Scrolls `b` so that the message `seq` sits in the middle of the log. */
export function centre(s: ChatState, b: ChatBuffer, seq: number): void {
  const { below, own } = linesFrom(s, b.shown, seq);
  b.scroll = Math.max(0, below + own - Math.ceil(s.screen.logRows / 2));
}

/**
 * Shows the message `seq` of `b`: among the live lines when they hold it, else in a window
 * opened around it (replacing any window shown).
 */
export async function jumpTo(s: ChatState, b: ChatBuffer, seq: number): Promise<void> {
  if (b.messages.has(seq)) {
    b.detached?.window.close();
    b.detached = undefined;
    centre(s, b, seq);
    return s.composeStatus();
  }
  if (b.id === undefined) return;
  const room = b.id;
  const w = await HistoryWindow.around(s.conn, room, seq, {
    changed: (what) => {
      if (b.detached?.window !== w) return;
      if (what !== "unseen") draw(s, b);
      s.composeStatus();
      if (b === s.buffers.current) s.screen.render();
    },
  });
  b.detached?.window.close();
  b.detached = { window: w, entries: [] };
  draw(s, b);
  centre(s, b, seq);
  s.composeStatus();
  s.screen.render();
}

/** Back to the live lines, at their newest. */
export function toLatest(s: ChatState, b: ChatBuffer): void {
  b.detached?.window.close();
  b.detached = undefined;
  b.scroll = 0;
  s.composeStatus();
  s.screen.render();
}

/**
 * PageUp/PageDown on a detached buffer: a page more at either end, and back to the live lines
 * once the window meets them, the reader's place kept. False when `b` is not detached.
 */
export async function scrollDetached(s: ChatState, b: ChatBuffer, pages: number): Promise<boolean> {
  const d = b.detached;
  if (!d) return false;
  const { screen } = s;
  const page = Math.max(1, screen.logRows - 2);
  const top = Math.max(0, b.lineCount(screen.columns) - screen.logRows + 1);
  if (pages > 0) {
    b.scroll = Math.min(top, b.scroll + page);
    if (b.scroll >= top && d.window.hasOlder) await d.window.older();
    return true;
  }
  if (b.scroll > 0) {
    b.scroll = Math.max(0, b.scroll - page);
    return true;
  }
  // At the window's newest line: read on, or rejoin the live lines where they meet.
  const lastSeq = d.window.last;
  if (d.window.hasNewer && !d.window.meets(b.oldest)) {
    const before = b.lineCount(screen.columns);
    await d.window.newer();
    b.scroll = Math.max(0, b.lineCount(screen.columns) - before - page);
    return true;
  }
  rejoin(s, b, lastSeq);
  return true;
}

/** The window met the live lines: what they lack of it goes before them, the place kept. */
function rejoin(s: ChatState, b: ChatBuffer, lastSeq: number | undefined): void {
  const d = b.detached;
  if (!d) return;
  const seam = d.window.seam(b.oldest);
  const w = new Set(seam.map((e) => e.seq));
  const older = entriesOf(s, d.window).filter((e) => e.seq !== undefined && w.has(e.seq));
  for (const e of seam) if (!isEvent(e)) b.messages.set(e.seq, e);
  b.prepend(older);
  if (!d.window.hasOlder) b.atBeginning = true;
  d.window.close();
  b.detached = undefined;
  b.scroll = lastSeq === undefined ? 0 : linesFrom(s, b.entries, lastSeq).below;
  s.composeStatus();
  s.screen.render();
}
