/**
 * History pages: backward pages show each message in its current state (edited, deleted,
 * reactions, reply quote) and the room's own events (joins, kicks, topics…) among them, as the
 * timeline shows them; forward pages are a stretch of the room's log, its events included, so
 * that filling a gap accounts for every seq.
 */
import { isEvent, type Store } from "../../db/store.ts";
import {
  HISTORY_PAGE_DEFAULT,
  type Message,
  ROOM_EVENT_KINDS,
  type RoomEvent,
} from "../protocol/index.ts";

/** The most log entries read for a backward page's room events (edits and reactions between). */
const ROOM_EVENTS_SPAN_MAX = 1000;

export interface HistoryQuery {
  before?: number | undefined;
  after?: number | undefined;
  limit?: number | undefined;
}

export interface HistoryPage {
  messages: Message[];
  /**
   * With `after`: the events in the same stretch of the log, so a gap is filled exactly. With
   * `before`: the room's own events among the page's messages (none about a message).
   */
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
  // Backward pages show each message in its current state, with no message events to apply.
  const before = q.before ?? Number.MAX_SAFE_INTEGER;
  const page = await store.messagesBefore(roomId, before, limit + 1);
  const more = page.length > limit;
  if (more) page.shift();
  // The room's own events from the first message on (from the start on the first page), up to
  // a bound: a stretch of many edits and reactions may hide an event, never cost unbounded.
  const from = more ? (page[0]?.seq ?? before) : 1;
  // The page's own stretch only (about `limit` entries when nobody edited in it).
  const stretch = Math.min(ROOM_EVENTS_SPAN_MAX, Math.max(0, before - from));
  const span = stretch === 0 ? [] : await store.logAfter(roomId, from - 1, stretch);
  const events = span.filter(
    (e): e is RoomEvent => isEvent(e) && e.seq < before && ROOM_EVENT_KINDS.has(e.kind),
  );
  return events.length > 0 ? { messages: page, events, more } : { messages: page, more };
}
