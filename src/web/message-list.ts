/**
 * The scrolling list of one conversation: day separators, bubbles grouped by sender, join and
 * leave notices, a "New" divider before the first unread message, then the messages still
 * pending. While the reader is at the bottom it stays there, also when content above grows
 * (an image loading); scrolled up, new messages are counted on a jump-to-latest button
 * instead. Asks for older history when scrolled to the top.
 *
 * Detached: a jump to a message older than the conversation holds shows a window of history
 * around it instead (kept per conversation by room-windows.ts), with a bar saying so and a
 * button back to the latest that counts what arrived meanwhile; scrolling reads the window on
 * either way, and reaching the live messages rejoins them, each message once.
 */
import { bubbleRow, type MessageActions } from "./bubble.ts";
import type { Conversation, Item, Pending, ScrollAnchor } from "./conversation.ts";
import { h } from "./dom.ts";
import type { FileFacts } from "./file-view.ts";
import { pendingRow } from "./pending-row.ts";
import { dayKey, dayLabel } from "./time-format.ts";

/** Messages from one sender within this long of each other share a group. */
const GROUP_MS = 5 * 60_000;
/** How near the top (px) counts as "wants older messages". */
const TOP_SLACK = 120;
/** How near the bottom (px) counts as "reading the newest". */
const BOTTOM_SLACK = 80;

export interface MessageListHooks {
  /** The reader: their own messages and @mentions of them are drawn apart. */
  me: { id: number; name: string };
  loadOlder(): void;
  /** Shows a shared file: an inline image or a card with a download button. */
  fileView?: (file: FileFacts) => Node;
  /** Actions on a message that failed for good: send it again, or drop it. */
  retry?: (p: Pending) => void;
  dismiss?: (p: Pending) => void;
  /** Reply, react, edit, delete and jump, for stored messages of public rooms. */
  actions?: MessageActions;
}

/** A window of older history on screen in place of the live conversation: what drives it. */
export interface DetachedView {
  /** The live conversation it stands for: sending there returns to it. */
  readonly live: Conversation;
  /** Live messages that arrived meanwhile, counted on "Jump to latest". */
  readonly unseen: number;
  /** Scrolled to its top: the page before (drawn again when it lands). */
  older(): void;
  /** Scrolled to its bottom: true when it met the live messages (they now hold it all). */
  bottom(): Promise<boolean>;
  /** Back to the latest: the window is done with. */
  close(): void;
}

export class MessageList {
  /** The pane: the scrolling list with the jump button over it. */
  readonly root: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly older: HTMLButtonElement;
  private readonly list: HTMLOListElement;
  private readonly pendingList: HTMLOListElement;
  private readonly jump: HTMLButtonElement;
  private conversation: Conversation | undefined;
  private readonly me: { id: number; name: string };
  /** The last item rendered, to decide grouping and day separators for the next. */
  private last: Item | undefined;
  /** The reader is at the bottom: growth keeps them there. Updated on every scroll. */
  private stuck = true;
  /** scrollTop at the last scroll event: which way the reader moved. */
  private lastTop = 0;
  private lastHeight = 0;
  /** Messages appended while scrolled up, counted on the jump button. */
  private unseen = 0;
  /** The window shown instead of the live conversation, if detached. */
  private detached: DetachedView | undefined;
  private readonly bar: HTMLElement;

  constructor(private readonly hooks: MessageListHooks) {
    this.me = hooks.me;
    this.older = h(
      "button",
      { type: "button", class: "load-older", hidden: true },
      "Load earlier messages",
    );
    this.older.addEventListener("click", () => this.wantOlder());
    this.list = h("ol", { class: "items" });
    this.pendingList = h("ol", { class: "items pending-items", "aria-label": "Sending" });
    this.scroller = h(
      "div",
      {
        class: "messages",
        role: "log",
        // Not read out as it changes: a switch redraws it whole. New messages are announced
        // through the chat's own live region (announcer.ts).
        "aria-live": "off",
        tabindex: 0,
      },
      this.older,
      this.list,
      this.pendingList,
    );
    this.jump = h("button", { type: "button", class: "jump", hidden: true });
    this.jump.addEventListener("click", () => this.toLatest());
    this.bar = h(
      "div",
      { class: "detached-bar", role: "status", hidden: true },
      "Viewing older messages",
    );
    this.root = h("div", { class: "messages-pane" }, this.bar, this.scroller, this.jump);
    this.scroller.addEventListener("scroll", () => {
      // Only the reader moving up lets go of the bottom. Content that changed before this event
      // must not (an image that shrank to nothing, then decoded tall, moves scrollTop up and
      // the bottom away), or the resize observer below would not follow it down.
      const top = this.scroller.scrollTop;
      const height = this.scroller.scrollHeight;
      const movedUp = top < this.lastTop && height === this.lastHeight;
      // A window of older history never sticks: growth below it must not pull the reader on.
      this.stuck = !this.detached && (movedUp ? this.atBottom : this.stuck || this.atBottom);
      this.lastTop = top;
      this.lastHeight = height;
      if (this.stuck) this.unseen = 0;
      this.renderJump();
      const c = this.conversation;
      if (c?.hasOlder && !c.loadingOlder && this.scroller.scrollTop < TOP_SLACK) {
        this.wantOlder();
      }
      if (this.detached && this.atBottom) void this.readOn();
    });
    // Content that grows above the bottom (an image decoding, a font) keeps a stuck reader there.
    const grow = new ResizeObserver(() => {
      if (this.stuck) this.scroller.scrollTop = this.scroller.scrollHeight;
    });
    grow.observe(this.list);
    grow.observe(this.pendingList);
  }

  get atBottom(): boolean {
    const r = this.scroller;
    return r.scrollHeight - r.scrollTop - r.clientHeight < BOTTOM_SLACK;
  }

  scrollToBottom(): void {
    this.stuck = true;
    this.unseen = 0;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.renderJump();
  }

  /**
   * Where the reader is in the conversation on screen, to come back to it: the first message
   * in view and how far above the view's top it starts, or undefined when at the bottom (then
   * the newest is shown again). A message, not a pixel offset: a divider may come or go.
   */
  position(): ScrollAnchor | undefined {
    if (this.stuck && !this.detached) return undefined;
    const top = this.scroller.scrollTop;
    for (const row of this.list.querySelectorAll<HTMLElement>(".msg[data-seq]")) {
      if (row.offsetTop + row.offsetHeight > top) {
        return { seq: Number(row.dataset.seq), offset: row.offsetTop - top };
      }
    }
    return undefined;
  }

  /**
   * Renders a conversation from scratch: at its "New" divider if it has one, else at the
   * saved position `at` (see position()), else at the bottom. `keepOffset` holds the view
   * still over a prepend.
   */
  show(
    c: Conversation,
    o: { keepOffset?: boolean; at?: ScrollAnchor | undefined; toDivider?: boolean } = {},
  ): void {
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    this.detach(undefined);
    const same = this.conversation === c;
    if (!same) this.unseen = 0;
    this.draw(c);
    this.renderPending();
    const divider = this.list.querySelector<HTMLElement>(".new-divider");
    if (o.keepOffset) this.scrollTo(this.scroller.scrollHeight - fromBottom);
    else if (divider && (!same || o.toDivider)) this.scrollTo(divider.offsetTop - 8);
    else if (o.at !== undefined) this.scrollToAnchor(o.at);
    else this.scrollToBottom();
  }

  /** Draws a message again in place (an event changed it); false when it is not on screen. */
  replace(item: Item): boolean {
    if (item.kind !== "message") return false;
    const m = item.message;
    const old = this.list.querySelector<HTMLElement>(`.msg[data-seq="${m.seq}"]`);
    if (!old) return false;
    old.replaceWith(this.row(item, old.classList.contains("grouped")));
    return true;
  }

  /** The row of a message on screen, if it is. */
  rowOf(seq: number): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`.msg[data-seq="${seq}"]`);
  }

  private row(item: Item & { kind: "message" }, grouped: boolean): HTMLLIElement {
    return bubbleRow(item.message, {
      me: this.me,
      grouped,
      sealed: item.sealed,
      fileView: this.hooks.fileView,
      actions: this.hooks.actions,
    });
  }

  /**
   * Shows `c`, a window of older history (room-windows.ts), in place of the live conversation
   * `view` stands for: at the message `seq`, else at `at`, else (drawn again as it changed)
   * where the reader is. A window never sticks to its bottom.
   */
  showDetached(c: Conversation, view: DetachedView, o: { seq?: number; at?: ScrollAnchor }): void {
    const at = o.at ?? (this.detached === view ? this.position() : undefined);
    this.detach(view);
    this.draw(c);
    const row = o.seq !== undefined ? this.rowOf(o.seq) : at && this.rowOf(at.seq);
    if (o.seq !== undefined) row?.scrollIntoView({ block: "center" });
    else if (at && row) this.scroller.scrollTop = row.offsetTop - at.offset;
    this.stuck = false;
    this.renderJump();
  }

  /** Whether the live conversation `c` is what is on screen (not a window of it). */
  shows(c: Conversation): boolean {
    return this.conversation === c;
  }

  /** Whether `view`'s window is what is on screen. */
  showing(view: DetachedView): boolean {
    return this.detached === view;
  }

  /** Back to the live conversation, at its newest (its "New" divider, if it has one). */
  toLatest(): void {
    const d = this.detached;
    if (!d) return void this.scrollToBottom();
    d.close();
    this.show(d.live);
  }

  private draw(c: Conversation): void {
    this.conversation = c;
    this.last = undefined;
    this.list.replaceChildren();
    for (const item of c.items) this.renderItem(item);
    this.syncOlder();
    this.scroller.setAttribute("aria-label", `Messages in ${c.label}`);
  }

  private detach(next: DetachedView | undefined): void {
    this.detached = next;
    this.bar.hidden = next === undefined;
    this.pendingList.hidden = next !== undefined;
  }

  private wantOlder(): void {
    if (this.detached) this.detached.older();
    else this.hooks.loadOlder();
  }

  /** At the window's bottom: the next page, or the live conversation where they meet. */
  private async readOn(): Promise<void> {
    const d = this.detached;
    if (!d || !(await d.bottom()) || this.detached !== d) return;
    const at = this.position();
    d.close();
    this.show(d.live, { at });
  }

  /** A new item at the end of the conversation on screen. */
  append(item: Item): void {
    const stick = this.stuck;
    // Detached: the item waits in the live conversation; the window's count says it came.
    if (this.detached) return void this.renderJump();
    this.renderItem(item);
    this.syncOlder();
    if (stick) this.scrollToBottom();
    else if (item.kind === "message") {
      this.unseen++;
      this.renderJump();
    }
  }

  renderPending(): void {
    // Sending while detached returns to the latest, where the message goes.
    if (this.detached?.live.pending.some((p) => p.state !== "failed")) return void this.toLatest();
    const c = this.conversation;
    if (!c) return;
    const stick = this.stuck;
    this.pendingList.replaceChildren(
      ...c.pending.map((p) => pendingRow(p, { ...this.hooks, me: this.me })),
    );
    if (stick) this.scrollToBottom();
  }

  syncOlder(): void {
    const c = this.conversation;
    this.older.hidden = !c?.hasOlder;
    this.older.disabled = !!c?.loadingOlder;
    this.older.textContent = c?.loadingOlder ? "Loading…" : "Load earlier messages";
  }

  private scrollToAnchor(at: ScrollAnchor): void {
    const row = this.list.querySelector<HTMLElement>(`.msg[data-seq="${at.seq}"]`);
    if (row) this.scrollTo(row.offsetTop - at.offset);
    else this.scrollToBottom();
  }

  private scrollTo(top: number): void {
    this.scroller.scrollTop = top;
    this.stuck = this.atBottom;
    this.renderJump();
  }

  renderJump(): void {
    this.jump.hidden = this.stuck && !this.detached;
    const n = this.detached ? this.detached.unseen : this.unseen;
    const news = `${n} new message${n === 1 ? "" : "s"}`;
    if (this.detached) this.jump.textContent = `↓ Jump to latest${n > 0 ? ` (${news})` : ""}`;
    else this.jump.textContent = n > 0 ? `↓ ${news}` : "↓ Jump to latest";
  }

  private renderItem(item: Item): void {
    const ts = item.kind === "message" ? item.message.ts : item.ts;
    const prev = this.last;
    const prevTs = prev ? (prev.kind === "message" ? prev.message.ts : prev.ts) : undefined;
    const newDay = prevTs === undefined || dayKey(prevTs) !== dayKey(ts);
    if (newDay) {
      // Plain list items (a role would stop them being items of the list): the text says it.
      this.list.append(h("li", { class: "day" }, h("span", {}, dayLabel(ts))));
    }
    const divided = item.kind === "message" && item.message.seq === this.conversation?.dividerSeq;
    if (divided) {
      this.list.append(
        h(
          "li",
          { class: "new-divider" },
          h("span", {}, "New", h("span", { class: "visually-hidden" }, " messages")),
        ),
      );
    }
    if (item.kind === "notice") {
      this.list.append(
        h(
          "li",
          item.alert ? { class: "notice alert", role: "alert" } : { class: "notice" },
          item.text,
        ),
      );
    } else {
      const m = item.message;
      const grouped =
        !newDay &&
        !divided &&
        prev?.kind === "message" &&
        prev.message.from.id === m.from.id &&
        ts - prev.message.ts < GROUP_MS;
      this.list.append(this.row(item, grouped));
    }
    this.last = item;
  }
}
