/**
 * The list of conversations: rooms, then direct messages named after the other person with
 * their presence, each with its unread count. Every entry is a button, so the list is
 * keyboard-reachable; the current one is marked with aria-current.
 */
import { safeName } from "../client-core/display-text.ts";
import type { Conversation } from "./conversation.ts";
import { h } from "./dom.ts";

export interface SidebarHooks {
  select(id: number): void;
  addRoom(): void;
  /** "Message someone": opens or starts a DM. */
  newDm(): void;
}

function unreadText(n: number): string {
  return n > 999 ? "999+" : String(n);
}

export class Sidebar {
  private readonly rooms: HTMLUListElement;
  private readonly dms: HTMLUListElement;
  private readonly dmSection: HTMLElement;

  constructor(
    readonly root: HTMLElement,
    private readonly hooks: SidebarHooks,
  ) {
    const add = h(
      "button",
      { type: "button", class: "icon-button add-room", "aria-label": "Create or join a room" },
      "+",
    );
    add.addEventListener("click", () => hooks.addRoom());
    this.rooms = h("ul", { class: "conversations", "aria-labelledby": "rooms-heading" });
    this.dms = h("ul", { class: "conversations", "aria-labelledby": "dms-heading" });
    const newDm = h(
      "button",
      { type: "button", class: "icon-button add-room", "aria-label": "Message someone" },
      "+",
    );
    newDm.addEventListener("click", () => hooks.newDm());
    this.dmSection = h(
      "section",
      { class: "group" },
      h("div", { class: "group-head" }, h("h2", { id: "dms-heading" }, "Direct messages"), newDm),
      this.dms,
    );
    root.append(
      h(
        "section",
        { class: "group" },
        h("div", { class: "group-head" }, h("h2", { id: "rooms-heading" }, "Rooms"), add),
        this.rooms,
      ),
      this.dmSection,
    );
  }

  /** `muted` conversations show a dot for unread messages instead of a count, and none in the title. */
  render(
    conversations: Iterable<Conversation>,
    current: number | undefined,
    muted: (c: Conversation) => boolean = () => false,
  ): void {
    const rooms: HTMLLIElement[] = [];
    const dms: HTMLLIElement[] = [];
    const sorted = [...conversations].sort((a, b) => a.label.localeCompare(b.label));
    for (const c of sorted) (c.isDm ? dms : rooms).push(this.entry(c, c.id === current, muted(c)));
    this.rooms.replaceChildren(...rooms);
    if (rooms.length === 0) {
      this.rooms.append(h("li", { class: "empty" }, "No rooms yet: press + to create or join."));
    }
    this.dms.replaceChildren(...dms);
    // The page's title counts what the list counts (muted conversations aside).
    let unread = 0;
    for (const c of sorted) if (!muted(c)) unread += c.unread;
    document.title = unread > 0 ? `(${unread > 999 ? "999+" : unread}) Parley` : "Parley";
  }

  private entry(c: Conversation, current: boolean, muted: boolean): HTMLLIElement {
    const status = c.peerStatus;
    const unread = c.unread > 0 ? unreadText(c.unread) : undefined;
    const label = [
      c.isDm ? `Direct messages with ${c.summary.name}` : `Room ${c.summary.name}`,
      status ? status : undefined,
      unread ? (muted ? "unread messages" : `${unread} unread`) : undefined,
      c.mentions > 0 ? `${c.mentions} mentioning you` : undefined,
      muted ? "muted" : undefined,
      c.summary.archived ? "archived, read-only" : undefined,
    ]
      .filter(Boolean)
      .join(", ");
    const button = h(
      "button",
      {
        type: "button",
        class: `conversation${unread ? " has-unread" : ""}`,
        "aria-current": current ? "page" : undefined,
        "aria-label": label,
        "data-room": c.id,
      },
      c.isDm
        ? h("span", { class: `presence ${status ?? "offline"}`, "aria-hidden": "true" })
        : h("span", { class: "hash", "aria-hidden": "true" }, "#"),
      h("span", { class: "name" }, safeName(c.summary.name)),
      c.summary.archived
        ? h("span", { class: "archived-tag", "aria-hidden": "true" }, "archived")
        : undefined,
      unread && muted ? h("span", { class: "dot", "aria-hidden": "true" }) : undefined,
      unread && !muted ? h("span", { class: "badge", "aria-hidden": "true" }, unread) : undefined,
      c.mentions > 0
        ? h("span", { class: "mention-count", "aria-hidden": "true" }, `@${c.mentions}`)
        : undefined,
    );
    button.addEventListener("click", () => this.hooks.select(c.id));
    return h("li", {}, button);
  }
}
