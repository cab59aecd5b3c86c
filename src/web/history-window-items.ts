/**
 * The browser's copy of a history window (src/client-core/history-window.ts) as a conversation
 * the message list can draw: its messages and room event lines, with a summary of its own so
 * that drawing it never changes the live conversation's.
 */
import type { HistoryWindow } from "../client-core/history-window.ts";
import { roomEventText } from "../client-core/room-event-text.ts";
import { isEvent } from "../protocol/index.ts";
import { Conversation } from "./conversation.ts";
import type { SealedKind } from "./sealed-kind.ts";

/** `sealed`: a DM's or a group's messages that cannot be shown as text, by seq. */
export function windowConversation(
  w: HistoryWindow,
  live: Conversation,
  sealed?: ReadonlyMap<number, SealedKind>,
): Conversation {
  const c = new Conversation({ ...live.summary });
  for (const e of w.entries) {
    if (isEvent(e)) c.items.push({ kind: "notice", ts: e.ts, text: roomEventText(e), seq: e.seq });
    else c.add(e, sealed?.get(e.seq));
  }
  c.hasOlder = w.hasOlder;
  c.unread = 0;
  return c;
}

/** What the live conversation lacks of the window where they meet, put before what it holds. */
export function rejoin(
  w: HistoryWindow,
  live: Conversation,
  sealed?: ReadonlyMap<number, SealedKind>,
): void {
  const seam = w.seam(live.firstSeq);
  const messages = seam.flatMap((e) => (isEvent(e) ? [] : [e]));
  const events = seam.flatMap((e) => (isEvent(e) ? [e] : []));
  live.prepend(messages, w.hasOlder, sealed, events);
}
