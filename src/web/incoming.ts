/**
 * What arrives in the conversations, as the browser shows it: each message goes into its
 * conversation (the chat session's), onto the screen if it is shown, into the unread count by
 * the session's rule, and to the desktop notifier; what the reader sees counts as read, on the
 * server too.
 */
import type { ChatSession } from "../client-core/chat-session.ts";
import type { Message, UserRef } from "../protocol/index.ts";
import type { Announcer } from "./announcer.ts";
import { mentions } from "./bubble.ts";
import type { Conversation } from "./conversation.ts";
import type { MessageList } from "./message-list.ts";
import type { Notifier } from "./notifications.ts";
import type { NotifyLevels } from "./notify-levels.ts";
import type { PrivateMessages } from "./private-messages.ts";
import type { SealedKind } from "./sealed-kind.ts";
import type { TypingLine } from "./typing-line.ts";

export class Incoming {
  constructor(
    private readonly o: {
      me: UserRef;
      dms: PrivateMessages;
      session: ChatSession<Conversation>;
      list: MessageList;
      typing: TypingLine;
      notifier: Notifier;
      levels: NotifyLevels;
      announcer: Announcer;
      /** Unread counts changed: redraw the sidebar and the title. */
      countsChanged(): void;
    },
  ) {
    o.session.conn.on("message", (m) => {
      // DMs are shown once SecureDm has opened them (PrivateMessages reports them here).
      if (!o.dms.handles(m, o.session.isDm(m.room))) this.received(m);
    });
  }

  received(m: Message, sealed?: SealedKind): void {
    const { session, list, me } = this.o;
    const { conversations } = session;
    const c = conversations.forRoom(m.room);
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
    if (shown) {
      list.append(item);
      if (hadPending) list.renderPending();
      if (m.from.id !== me.id && m.seq > c.summary.head && !sealed) {
        this.o.announcer.message(m.from.name, m.body, m.file?.name);
      }
    }
    const head = c.summary.head;
    const mention = !sealed && mentions(m.body, me.name);
    session.arrived(c, m, { me: me.id, seen: shown && visible(), mention });
    this.o.typing.changed(m.room);
    this.o.notifier.incoming(
      m,
      {
        id: c.id,
        isDm: c.isDm,
        label: c.label,
        head,
        level: this.o.levels.of(c.id, c.isDm),
      },
      me,
    );
    if (shown) this.markRead();
    this.o.countsChanged();
  }

  /** What is on screen counts as read, on the server too. */
  markRead(): void {
    const c = this.o.session.conversations.shown;
    if (!c || !visible()) return;
    if (this.o.session.read(c, c.lastSeq)) this.o.countsChanged();
  }
}

function visible(): boolean {
  return document.visibilityState === "visible";
}
