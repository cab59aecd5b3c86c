/**
 * The windows of older history the reader opened in the browser (src/client-core/history-window.ts),
 * at most one per conversation, kept across switches until the reader goes back to the latest:
 * as Element brings a room back at the event and offset the reader left, and as the terminal
 * keeps a buffer's window until `/latest`. A kept window goes on listening while another
 * conversation is on screen: changes to its messages apply to it, and live messages are
 * counted on its "Jump to latest" (they also count as unread in the sidebar until the room is
 * opened again, as any room's do).
 *
 * A DM's or an encrypted group's window is read like a room's, two `history` requests however
 * far back, and only its pages are opened (decrypted), not the pages between.
 */
import type { Connection } from "../client-core/connection.ts";
import {
  HistoryWindow,
  type WindowChange,
  type WindowPage,
} from "../client-core/history-window.ts";
import type { Conversation, ScrollAnchor } from "./conversation.ts";
import { rejoin, windowConversation } from "./history-window-items.ts";
import type { DetachedView, MessageList } from "./message-list.ts";
import type { PrivateMessages } from "./private-messages.ts";
import type { SealedKind } from "./sealed-kind.ts";

export interface RoomWindowsHooks {
  conn: Pick<Connection, "history" | "on">;
  /** Opens a DM's or a group's pages, and delivers their changes opened. */
  dms: Pick<PrivateMessages, "reveal" | "onChange">;
  list: () => MessageList;
  /** The conversation on screen. */
  shown(): Conversation | undefined;
}

/** A window kept for a conversation, with what the list needs to draw and drive it. */
interface Kept {
  w: HistoryWindow;
  live: Conversation;
  /** A sealed room's messages that cannot be shown as text, by seq (as the live view keeps). */
  sealed: Map<number, SealedKind>;
  /** Where the reader was in it when they switched away. */
  at?: ScrollAnchor | undefined;
  view: DetachedView;
}

export class RoomWindows {
  private readonly kept = new Map<number, Kept>();

  constructor(private readonly o: RoomWindowsHooks) {}

  /**
   * Opens a window around `seq` of `c` and shows it, replacing the one kept for `c`; false when
   * `c` is no longer on screen once it is read (it is then dropped). Rejects when a page cannot
   * be read.
   */
  async open(c: Conversation, seq: number): Promise<boolean> {
    const sealed = new Map<number, SealedKind>();
    let k: Kept | undefined;
    const sealedRoom = c.isDm || c.isGroup;
    const w = await HistoryWindow.around(this.o.conn, c.id, seq, {
      changed: (what) => k && this.changed(k, what),
      ...(sealedRoom
        ? { open: (p) => this.reveal(p, sealed), changes: (fn) => this.o.dms.onChange(fn) }
        : {}),
    });
    if (this.o.shown() !== c) {
      w.close();
      return false;
    }
    this.drop(c.id);
    k = { w, live: c, sealed, view: this.view(c, w, sealed) };
    this.kept.set(c.id, k);
    this.o.list().showDetached(windowConversation(w, c, sealed), k.view, { seq });
    return true;
  }

  /**
   * Shows `c`: the window kept for it, at the reader's place in it, else the live conversation
   * (at `at`, as MessageList.show).
   */
  show(c: Conversation, at: ScrollAnchor | undefined): void {
    const k = this.kept.get(c.id);
    if (k && k.live !== c) this.drop(c.id); // the room was left and joined again since
    const list = this.o.list();
    if (!k || k.live !== c) return void list.show(c, { at });
    // Shown again where the reader is; brought back where they left it; else at its target.
    const place = list.showing(k.view) ? {} : k.at ? { at: k.at } : { seq: k.w.target };
    list.showDetached(windowConversation(k.w, c, k.sealed), k.view, place);
  }

  /** `c` goes off screen: the reader's place is kept, in its window if one is shown. */
  leave(c: Conversation): void {
    const list = this.o.list();
    const k = this.kept.get(c.id);
    if (k && list.showing(k.view)) k.at = list.position();
    else c.scroll = list.position();
  }

  /** The window of `room` is done with: it stops listening and is forgotten. */
  drop(room: number): void {
    this.kept.get(room)?.w.close();
    this.kept.delete(room);
  }

  /** What the message list calls on a window it shows. */
  private view(
    live: Conversation,
    w: HistoryWindow,
    sealed: Map<number, SealedKind>,
  ): DetachedView {
    return {
      live,
      get unseen() {
        return w.unseen;
      },
      older: () => void (w.busy ? undefined : w.older()), // drawn when it lands (`changed`)
      bottom: async () => {
        if (w.busy) return false;
        if (!w.meets(live.firstSeq)) {
          await w.newer();
          return false;
        }
        rejoin(w, live, sealed);
        return true;
      },
      close: () => {
        if (this.kept.get(live.id)?.w === w) this.drop(live.id);
      },
    };
  }

  /** The window changed: drawn again if it is on screen, the reader's place kept. */
  private changed(k: Kept, what: WindowChange): void {
    const list = this.o.list();
    if (this.kept.get(k.live.id) !== k || !list.showing(k.view)) return;
    if (what === "unseen") return void list.renderJump();
    list.showDetached(windowConversation(k.w, k.live, k.sealed), k.view, {});
  }

  /** A sealed page opened: its messages with their text; those that cannot be read, noted. */
  private async reveal(p: WindowPage, sealed: Map<number, SealedKind>): Promise<WindowPage> {
    const opened = await this.o.dms.reveal(p.messages);
    for (const x of opened) if (x.sealed) sealed.set(x.message.seq, x.sealed);
    return { ...p, messages: opened.map((x) => x.message) };
  }
}
