/**
 * The scrolling list of one conversation: day separators, bubbles grouped by sender, join and
 * leave notices, then the messages still pending. Appends in place while the reader is at the
 * bottom (and keeps them there); asks for older history when scrolled to the top.
 */
import { bubbleRow } from "./bubble.ts";
import type { Conversation, Item } from "./conversation.ts";
import { h } from "./dom.ts";
import type { FileFacts } from "./file-view.ts";
import { dayKey, dayLabel } from "./time-format.ts";

/** Messages from one sender within this long of each other share a group. */
const GROUP_MS = 5 * 60_000;
/** How near the top (px) counts as "wants older messages". */
const TOP_SLACK = 120;
/** How near the bottom (px) counts as "reading the newest". */
const BOTTOM_SLACK = 80;

export interface MessageListHooks {
  loadOlder(): void;
  /** Shows a shared file: an inline image or a card with a download button. */
  fileView?: (file: FileFacts) => Node;
}

export class MessageList {
  readonly root: HTMLElement;
  private readonly older: HTMLButtonElement;
  private readonly list: HTMLOListElement;
  private readonly pendingList: HTMLOListElement;
  private conversation: Conversation | undefined;
  private me = { id: 0, name: "" };
  /** The last item rendered, to decide grouping and day separators for the next. */
  private last: Item | undefined;

  constructor(private readonly hooks: MessageListHooks) {
    this.older = h(
      "button",
      { type: "button", class: "load-older", hidden: true },
      "Load earlier messages",
    );
    this.older.addEventListener("click", () => this.hooks.loadOlder());
    this.list = h("ol", { class: "items" });
    this.pendingList = h("ol", { class: "items pending-items", "aria-label": "Sending" });
    this.root = h(
      "div",
      {
        class: "messages",
        role: "log",
        "aria-live": "polite",
        "aria-relevant": "additions",
        tabindex: 0,
      },
      this.older,
      this.list,
      this.pendingList,
    );
    this.root.addEventListener("scroll", () => {
      const c = this.conversation;
      if (c?.hasOlder && !c.loadingOlder && this.root.scrollTop < TOP_SLACK) this.hooks.loadOlder();
    });
  }

  get atBottom(): boolean {
    const r = this.root;
    return r.scrollHeight - r.scrollTop - r.clientHeight < BOTTOM_SLACK;
  }

  scrollToBottom(): void {
    this.root.scrollTop = this.root.scrollHeight;
  }

  /** Renders a conversation from scratch; `keepOffset` holds the view still over a prepend. */
  show(c: Conversation, me: { id: number; name: string }, keepOffset = false): void {
    const fromBottom = this.root.scrollHeight - this.root.scrollTop;
    this.conversation = c;
    this.me = me;
    this.last = undefined;
    this.list.replaceChildren();
    for (const item of c.items) this.renderItem(item);
    this.renderPending();
    this.syncOlder();
    this.root.setAttribute("aria-label", `Messages in ${c.label}`);
    if (keepOffset) this.root.scrollTop = this.root.scrollHeight - fromBottom;
    else this.scrollToBottom();
  }

  /** A new item at the end of the conversation on screen. */
  append(item: Item): void {
    const stick = this.atBottom;
    this.renderItem(item);
    this.syncOlder();
    if (stick) this.scrollToBottom();
  }

  renderPending(): void {
    const c = this.conversation;
    if (!c) return;
    const stick = this.atBottom;
    this.pendingList.replaceChildren(
      ...c.pending.map((p) =>
        bubbleRow(
          { from: this.me, ts: p.ts, body: p.body, cid: p.cid, file: p.file },
          {
            me: this.me,
            grouped: false,
            held: p.held,
            state: p.state,
            fileView: this.hooks.fileView,
            ...(p.error ? { error: p.error } : {}),
          },
        ),
      ),
    );
    if (stick) this.scrollToBottom();
  }

  syncOlder(): void {
    const c = this.conversation;
    this.older.hidden = !c?.hasOlder;
    this.older.disabled = !!c?.loadingOlder;
    this.older.textContent = c?.loadingOlder ? "Loading…" : "Load earlier messages";
  }

  private renderItem(item: Item): void {
    const ts = item.kind === "message" ? item.message.ts : item.ts;
    const prev = this.last;
    const prevTs = prev ? (prev.kind === "message" ? prev.message.ts : prev.ts) : undefined;
    const newDay = prevTs === undefined || dayKey(prevTs) !== dayKey(ts);
    if (newDay) {
      this.list.append(h("li", { class: "day", role: "separator" }, h("span", {}, dayLabel(ts))));
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
        prev?.kind === "message" &&
        prev.message.from.id === m.from.id &&
        ts - prev.message.ts < GROUP_MS;
      this.list.append(
        bubbleRow(m, { me: this.me, grouped, sealed: item.sealed, fileView: this.hooks.fileView }),
      );
    }
    this.last = item;
  }
}
