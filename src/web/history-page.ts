/**
 * Older messages of a conversation, a page at a time, from the server's history: opened first
 * in a DM (history pages are sealed like live DMs), and put before what is shown.
 */
import type { Connection } from "../client-core/connection.ts";
import type { Conversation } from "./conversation.ts";
import type { PrivateMessages } from "./private-messages.ts";
import type { SealedKind } from "./sealed-kind.ts";

/** Messages per page, as a join's replay. */
export const HISTORY_PAGE = 50;

/** Whether `c` has an older page to load now (a DM attached at its head starts empty). */
function pageStart(c: Conversation): number | undefined {
  const empty = c.isDm && c.firstSeq === undefined && c.summary.head > 0;
  if (c.loadingOlder || (!c.hasOlder && !empty)) return undefined;
  return empty ? c.summary.head + 1 : c.firstSeq;
}

/**
 * Loads the page before the first message shown into `c`; `busy` is called when it starts.
 * Resolves true once `c` changed; false when there was nothing to load or it failed (offline,
 * refused: the button stays, to try again).
 */
export async function loadOlderPage(
  c: Conversation,
  o: { conn: Connection; dms: PrivateMessages; busy(): void },
): Promise<boolean> {
  const before = pageStart(c);
  if (before === undefined) return false;
  c.loadingOlder = true;
  o.busy();
  try {
    const page = await o.conn.history(c.id, { before, limit: HISTORY_PAGE });
    if (c.isDm || c.isGroup) {
      const opened = await o.dms.reveal(page.messages);
      const sealed = new Map<number, SealedKind>();
      for (const x of opened) if (x.sealed) sealed.set(x.message.seq, x.sealed);
      c.prepend(
        opened.map((x) => x.message),
        page.more,
        sealed,
      );
    } else c.prepend(page.messages, page.more, undefined, page.events);
    return true;
  } catch {
    return false;
  } finally {
    c.loadingOlder = false;
  }
}
