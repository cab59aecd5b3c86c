/**
 * What arrives in the conversations: each message goes into its conversation (or waits, if the
 * conversation is not held yet), onto the screen if it is shown, into the unread count if it is
 * news to the reader, and to the desktop notifier; what the reader sees counts as read, on the
 * server too.
 */
import type { ReadMarker } from "../client-core/read-marker.ts";
import type { Message, UserRef } from "../protocol/index.ts";
import type { Announcer } from "./announcer.ts";
import { mentions } from "./bubble.ts";
import type { Conversations } from "./conversations.ts";
import type { MessageList } from "./message-list.ts";
import type { Notifier } from "./notifications.ts";
import type { NotifyLevels } from "./notify-levels.ts";
import type { SealedKind } from "./sealed-kind.ts";
import type { TypingLine } from "./typing-line.ts";

export class Incoming {
  constructor(
    private readonly o: {
      me: UserRef;
      conversations: Conversations;
      list: MessageList;
      typing: TypingLine;
      notifier: Notifier;
      reads: ReadMarker;
      levels: NotifyLevels;
      announcer: Announcer;
      /** Unread counts changed: redraw the sidebar and the title. */
      countsChanged(): void;
    },
  ) {}

  received(m: Message, sealed?: SealedKind): void {
    const { conversations, list, me } = this.o;
    if (conversations.keepEarly(m, sealed)) return;
    const c = conversations.get(m.room);
    if (!c) return;
    const hadPending = c.pending.some((p) => p.cid === m.cid);
    const shown = conversations.current === c.id;
    if (c.isDm && m.seq <= (c.lastSeq ?? 0)) {
      // Shown already by a history page (DMs come in seq order).
      c.pending.splice(0, c.pending.length, ...c.pending.filter((p) => p.cid !== m.cid));
      if (shown) list.renderPending();
      return;
    }
    const item = c.add(m, sealed);
    this.o.typing.stopped(m.room, m.from.id);
    if (shown) {
      list.append(item);
      if (hadPending) list.renderPending();
      if (m.from.id !== me.id && m.seq > c.summary.head && !sealed) {
        this.o.announcer.message(m.from.name, m.body, m.file?.name);
      }
    }
    // Replays on join are already counted in the summary's unread: count only what is newer.
    if (m.from.id !== me.id && !(shown && visible()) && m.seq > c.summary.head) {
      c.countUnread(m.seq, !sealed && mentions(m.body, me.name));
    }
    this.o.notifier.incoming(
      m,
      {
        id: c.id,
        isDm: c.isDm,
        label: c.label,
        head: c.summary.head,
        level: this.o.levels.of(c.id, c.isDm),
      },
      me,
    );
    c.summary.head = Math.max(c.summary.head, m.seq);
    if (shown) this.markRead();
    this.o.countsChanged();
  }

  /** What is on screen counts as read, on the server too. */
  markRead(): void {
    const c = this.o.conversations.shown;
    if (!c || !visible()) return;
    const last = c.lastSeq;
    if (last !== undefined) this.o.reads.shown(c.id, last);
    if (c.unread !== 0 || c.mentions !== 0) {
      c.clearUnread();
      this.o.countsChanged();
    }
  }
}

function visible(): boolean {
  return document.visibilityState === "visible";
}
