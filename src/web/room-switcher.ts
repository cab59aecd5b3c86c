/**
 * The quick switcher (Ctrl-K, Cmd-K on a Mac): a dialog with a search box over every room and
 * DM, unread ones first, filtered as one types; ↑/↓ move, Enter opens, Escape closes. Built as
 * an ARIA combobox with a listbox, so a screen reader follows the highlighted entry.
 */
import type { Conversation } from "./conversation.ts";
import { h } from "./dom.ts";

export interface RoomSwitcherHooks {
  conversations(): Iterable<Conversation>;
  select(id: number): void;
}

/** Unread first (most unread first), then by name; the order of the switcher and of Alt-↑/↓. */
export function switcherOrder(list: Iterable<Conversation>, query = ""): Conversation[] {
  const q = query.trim().toLowerCase().replace(/^[#@]/, "");
  return [...list]
    .filter((c) => c.summary.name.toLowerCase().includes(q))
    .sort((a, b) => {
      const unread = Number(b.unread > 0) - Number(a.unread > 0);
      if (unread !== 0) return unread;
      const starts =
        Number(b.summary.name.toLowerCase().startsWith(q)) -
        Number(a.summary.name.toLowerCase().startsWith(q));
      return starts !== 0 ? starts : a.label.localeCompare(b.label);
    });
}

export class RoomSwitcher {
  readonly root: HTMLDialogElement;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private shown: Conversation[] = [];
  private active = 0;

  constructor(private readonly hooks: RoomSwitcherHooks) {
    this.input = h("input", {
      type: "text",
      class: "switcher-input",
      role: "combobox",
      "aria-label": "Go to a room or DM",
      "aria-expanded": "true",
      "aria-controls": "switcher-list",
      "aria-autocomplete": "list",
      autocomplete: "off",
      placeholder: "Go to…",
    });
    this.list = h("ul", {
      id: "switcher-list",
      class: "switcher-list",
      role: "listbox",
      "aria-label": "Rooms and DMs",
    });
    this.root = h(
      "dialog",
      { class: "room-dialog switcher", "aria-label": "Switch conversation" },
      this.input,
      this.list,
      h("p", { class: "hint" }, "↑ ↓ to move, Enter to open, Esc to close"),
    );
    this.input.addEventListener("input", () => this.render(0));
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = this.shown.length;
        if (n > 0) this.render((this.active + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
      } else if (e.key === "Enter") {
        e.preventDefault();
        this.choose(this.shown[this.active]);
      }
    });
    // A click on the backdrop (outside the dialog's box) closes it.
    this.root.addEventListener("click", (e) => {
      if (e.target === this.root) this.root.close();
    });
  }

  open(): void {
    this.input.value = "";
    this.render(0);
    if (!this.root.open) this.root.showModal();
    this.input.focus();
  }

  private choose(c: Conversation | undefined): void {
    if (!c) return;
    this.root.close();
    this.hooks.select(c.id);
  }

  private render(active: number): void {
    this.shown = switcherOrder(this.hooks.conversations(), this.input.value);
    this.active = Math.min(active, Math.max(0, this.shown.length - 1));
    this.list.replaceChildren(
      ...this.shown.map((c, i) => {
        const unread = c.unread > 0 ? `${c.unread} unread` : "";
        const option = h(
          "li",
          {
            id: `switcher-${c.id}`,
            role: "option",
            class: "switcher-option",
            "aria-selected": String(i === this.active),
            "data-room": c.id,
          },
          h("span", { class: "switcher-name" }, c.label),
          unread ? h("span", { class: "count" }, unread) : undefined,
        );
        option.addEventListener("click", () => this.choose(c));
        return option;
      }),
    );
    if (this.shown.length === 0) {
      this.list.append(h("li", { class: "hint", role: "presentation" }, "Nothing matches."));
      this.input.removeAttribute("aria-activedescendant");
    } else {
      this.input.setAttribute("aria-activedescendant", `switcher-${this.shown[this.active]?.id}`);
      this.list.querySelector("[aria-selected=true]")?.scrollIntoView({ block: "nearest" });
    }
  }
}
