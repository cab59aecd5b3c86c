/**
 * History pages: backward pages show each message in its current state (edited, deleted,
 * reactions, reply quote) with no events; forward pages are a stretch of the room's log, its
 * events included, so that filling a gap accounts for every seq.
 */
import { isEvent, type Store } from "../../db/store.ts";
import { HISTORY_PAGE_DEFAULT, type Message, type RoomEvent } from "../protocol/index.ts";

export interface HistoryQuery {
  before?: number | undefined;
  after?: number | undefined;
  limit?: number | undefined;
}

export interface HistoryPage {
  messages: Message[];
  /** With `after`: the events in the same stretch of the log, so a gap is filled exactly. */
  events?: RoomEvent[];
  /** More messages exist past this page, in the direction it was read. */
  more: boolean;
}

/** A page of the room's history; the caller has checked that the reader may read it. */
export async function historyPage(
  store: Store,
  roomId: number,
  q: HistoryQuery,
): Promise<HistoryPage> {
  const limit = q.limit ?? HISTORY_PAGE_DEFAULT;
  if (q.after !== undefined) {
    // Forward pages fill gaps, so they carry the log's events too: every seq, exactly once.
    const entries = await store.logAfter(roomId, q.after, limit + 1);
    const more = entries.length > limit;
    if (more) entries.pop();
    const messages: Message[] = [];
    const events: RoomEvent[] = [];
    for (const e of entries) {
      if (isEvent(e)) events.push(e);
      else messages.push(e);
    }
    return events.length > 0 ? { messages, events, more } : { messages, more };
  }
  // Backward pages show each message in its current state, with no events to apply.
  const page = await store.messagesBefore(roomId, q.before ?? Number.MAX_SAFE_INTEGER, limit + 1);
  const more = page.length > limit;
  if (more) page.shift();
  return { messages: page, more };
}
