/**
 * What the reader does to messages in the browser: reply (a quote over the composer), react (a
 * few emoji, or a chip to toggle), edit in place, delete, jump to a quoted message (a window
 * of history around it when it is not shown, kept per conversation: room-windows.ts), and
 * search (a box in the header; a result opens its message in context the same way).
 * Changes go as events (docs/protocol.md 4.8) and come back to every tab as events; in a DM
 * or a group they are sealed end to end like its messages (sealed-changes.ts).
 */

import type { Connection } from "../client-core/connection.ts";
import { safeName } from "../client-core/display-text.ts";
import type { Searcher } from "../client-core/message-search.ts";
import { type EventContent, hasReacted } from "../client-core/message-state.ts";
import type { MessageChangeRequest } from "../client-core/sealed-changes.ts";
import type { Message, RoomEvent, RoomRole } from "../protocol/index.ts";
import type { MessageActions } from "./bubble.ts";
import type { Conversations } from "./conversations.ts";
import { h } from "./dom.ts";
import type { MessageList } from "./message-list.ts";
import type { PrivateMessages } from "./private-messages.ts";
import { RoomWindows } from "./room-windows.ts";
import { timeOfDay } from "./time-format.ts";

/** The emoji offered by the React button. */
export const QUICK_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "🙏"];

export interface MessageActionsHooks {
  conn: Connection;
  conversations: Conversations;
  /** The message list (made after this view, so asked for when needed). */
  list: () => MessageList;
  search: Searcher;
  me: () => number;
  /** Shows a conversation. */
  select(room: number): void;
  /** Something went wrong that the reader should know. */
  problem(text: string): void;
  /** The composer takes the focus. */
  focusComposer(): void;
  /** DMs: their changes go sealed, and come back opened (private-messages.ts). */
  dms: Pick<PrivateMessages, "change" | "onChange" | "reveal">;
  /** Unread counts changed (an unread message was deleted): redraw them. */
  countsChanged(): void;
  /** Asks why and reports a message to its room's moderators (report-dialog.ts). */
  reports?: { report(m: Message): void };
}

export class MessageActionsView implements MessageActions {
  /** The bar over the composer while a reply is being written. */
  readonly replyBar: HTMLElement;
  /** The search box, for the header. */
  readonly searchForm: HTMLFormElement;
  /** The search results, shown under the header. */
  readonly results: HTMLElement;
  private replying: { room: number; seq: number } | undefined;
  /** The reader's role per room, as far as known ("asking" while the members are read). */
  private readonly roles = new Map<number, RoomRole | "asking">();
  /** The windows of older history jumped to, one per conversation, kept across switches. */
  readonly windows: RoomWindows;

  constructor(private readonly o: MessageActionsHooks) {
    this.windows = new RoomWindows({
      conn: o.conn,
      dms: o.dms,
      list: o.list,
      shown: () => o.conversations.shown,
    });
    this.replyBar = h("div", { class: "reply-bar", hidden: true });
    const input = h("input", {
      type: "search",
      name: "q",
      placeholder: "Search messages",
      "aria-label": "Search messages",
      maxlength: 200,
    });
    this.searchForm = h("form", { class: "search-form", role: "search" }, input);
    this.results = h("div", { class: "search-results", hidden: true, "aria-live": "polite" });
    this.searchForm.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.find(input.value);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.results.hidden = true;
    });
    o.conn.on("event", (e) => this.applied(e));
    o.dms.onChange((e, content) => this.applied(e, content));
  }

  /**
   * An event arrived: the message it changes is drawn again where it is shown. A DM's or a
   * group's event comes here twice: as it came (ignored: its content is sealed) and opened,
   * with `content`.
   */
  applied(e: RoomEvent, content?: EventContent): void {
    if (e.kind === "role") this.roomEvent(e);
    const c = this.o.conversations.get(e.room);
    if (!c || ((c.isDm || c.isGroup) && content === undefined)) return;
    const { item, counts } = c.changed(e, content);
    if (item && this.o.conversations.current === e.room) this.o.list().replace(item);
    if (counts) this.o.countsChanged();
  }

  /** A change to a message: sealed in a DM or a group, as it is in a room. */
  private change(room: number, c: MessageChangeRequest): Promise<unknown> {
    const sealed = this.o.conversations.get(room);
    if (sealed?.isDm || sealed?.isGroup) return this.o.dms.change(room, c);
    return this.o.conn.change(room, c);
  }

  /** People to @mention in the conversation on screen: its senders, the latest first. */
  names(): string[] {
    const c = this.o.conversations.shown;
    const seen: string[] = [];
    for (let i = (c?.items.length ?? 0) - 1; i >= 0; i--) {
      const item = c?.items[i];
      if (item?.kind !== "message" || item.message.from.id === this.o.me()) continue;
      if (!seen.includes(item.message.from.name)) seen.push(item.message.from.name);
    }
    return seen;
  }

  /** The seq a message being sent now replies to, if any (and the bar goes). */
  takeReply(room: number): number | undefined {
    const r = this.replying;
    if (!r || r.room !== room) return undefined;
    this.cancelReply();
    return r.seq;
  }

  reply(m: Message): void {
    this.replying = { room: m.room, seq: m.seq };
    const cancel = h(
      "button",
      { type: "button", class: "text-button", "aria-label": "Cancel reply" },
      "✕",
    );
    cancel.addEventListener("click", () => this.cancelReply());
    this.replyBar.replaceChildren(
      h("span", {}, "Replying to ", h("strong", {}, safeName(m.from.name)), ": "),
      h("span", { class: "reply-text" }, m.body.slice(0, 120)),
      cancel,
    );
    this.replyBar.hidden = false;
    this.o.focusComposer();
  }

  private cancelReply(): void {
    this.replying = undefined;
    this.replyBar.hidden = true;
    this.replyBar.replaceChildren();
  }

  react(m: Message, emoji?: string): void {
    if (emoji !== undefined) return void this.toggle(m, emoji);
    const row = this.o.list().rowOf(m.seq);
    if (!row) return;
    row.querySelector(".emoji-picker")?.remove();
    const picker = h("div", {
      class: "emoji-picker",
      role: "group",
      "aria-label": "Pick a reaction",
    });
    for (const e of QUICK_EMOJI) {
      const b = h("button", { type: "button", class: "emoji", "aria-label": `React with ${e}` }, e);
      b.addEventListener("click", () => {
        picker.remove();
        void this.toggle(m, e);
      });
      picker.append(b);
    }
    picker.addEventListener("keydown", (e) => {
      if (e.key === "Escape") picker.remove();
    });
    row.append(picker);
    picker.querySelector("button")?.focus();
  }

  private async toggle(m: Message, emoji: string): Promise<void> {
    const current = this.o.conversations
      .get(m.room)
      ?.items.find((i) => i.kind === "message" && i.message.seq === m.seq);
    const now = current?.kind === "message" ? current.message : m;
    const on = !hasReacted(now, emoji, this.o.me());
    await this.change(m.room, { kind: "react", target: m.seq, emoji, on }).catch((err: Error) =>
      this.o.problem(`Could not react: ${err.message}`),
    );
  }

  edit(m: Message, row: HTMLElement): void {
    const text = row.querySelector(".text");
    if (!text) return;
    const area = h("textarea", { class: "edit-box", "aria-label": "Edit message", rows: 2 });
    area.value = m.body;
    const put = (node: Node) => text.replaceChildren(node);
    const original = [...text.childNodes];
    const restore = () => text.replaceChildren(...original);
    area.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        restore();
      } else if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        const body = area.value;
        if (body.trim() === "" || body === m.body) return restore();
        area.disabled = true;
        void this.change(m.room, { kind: "edit", target: m.seq, body }).catch((err: Error) => {
          restore();
          this.o.problem(`Could not edit: ${err.message}`);
        });
      }
    });
    put(area);
    area.focus();
  }

  remove(m: Message): void {
    if (!confirm("Delete this message for everyone?")) return;
    void this.change(m.room, { kind: "delete", target: m.seq }).catch((err: Error) =>
      this.o.problem(`Could not delete: ${err.message}`),
    );
  }

  /**
   * The reader's own message, or anyone's where they moderate. Their role in a room is asked
   * once (members), then the room's rows are drawn again; a role event asks again.
   */
  deletable(m: Message): boolean {
    if (m.from.id === this.o.me()) return true;
    const role = this.roles.get(m.room);
    if (role === undefined) this.learnRole(m.room);
    return role === "owner" || role === "moderator";
  }

  /** A room's own event: a role change may change what the reader may delete there. */
  roomEvent(e: RoomEvent): void {
    if (e.kind === "role" && e.user?.id === this.o.me()) {
      this.roles.delete(e.room);
      this.learnRole(e.room);
    }
  }

  private learnRole(room: number): void {
    if (this.o.conversations.get(room)?.isDm) return;
    this.roles.set(room, "asking");
    this.o.conn.members(room).then(
      (members) => {
        const role = members.find((x) => x.id === this.o.me())?.role ?? "member";
        this.roles.set(room, role);
        const c = this.o.conversations.get(room);
        for (const item of c?.items ?? []) {
          if (item.kind === "message" && item.message.from.id !== this.o.me()) {
            this.o.list().replace(item);
          }
        }
      },
      () => this.roles.delete(room),
    );
  }

  reportable(m: Message): boolean {
    return !!this.o.reports && !m.deleted && !this.o.conversations.get(m.room)?.isDm;
  }

  report(m: Message): void {
    this.o.reports?.report(m);
  }

  /**
   * Shows a message of the conversation on screen: where it is, or in a window of history
   * around it however far back (two reads; in a DM or a group only those pages are opened).
   */
  async jump(seq: number): Promise<void> {
    const c = this.o.conversations.shown;
    if (c && !this.o.list().rowOf(seq)) {
      try {
        if (!(await this.windows.open(c, seq))) return;
      } catch (err) {
        return this.o.problem(`Could not load the history: ${(err as Error).message}`);
      }
    }
    const row = this.o.list().rowOf(seq);
    if (!row) return this.o.problem("That message is no longer available.");
    row.scrollIntoView({ block: "center" });
    row.classList.add("flash");
    row.setAttribute("tabindex", "-1");
    row.focus();
    setTimeout(() => row.classList.remove("flash"), 2000);
  }

  private async find(q: string): Promise<void> {
    if (q.trim() === "") return;
    try {
      const page = await this.o.search(q.trim());
      const rows = page.results.map((r) => {
        const room = this.o.conversations.get(r.room)?.label ?? `#${r.room}`;
        const open = h(
          "button",
          { type: "button", class: "search-hit" },
          h(
            "span",
            { class: "hit-where" },
            `${room} · ${safeName(r.from.name)} · ${timeOfDay(r.ts)}`,
          ),
          h("span", { class: "hit-text" }, r.snippet),
        );
        open.addEventListener("click", () => {
          this.results.hidden = true;
          this.o.select(r.room);
          void this.jump(r.seq);
        });
        return h("li", {}, open);
      });
      this.results.replaceChildren(
        h(
          "p",
          {},
          rows.length === 0 ? `Nothing found for “${q}”.` : `Results for “${q}”, newest first`,
        ),
        h("ol", {}, ...rows),
      );
      this.results.hidden = false;
    } catch (err) {
      this.o.problem(`Search failed: ${(err as Error).message}`);
    }
  }
}
