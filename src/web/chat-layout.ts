/**
 * The chat's frame: the sidebar column (who is logged in, settings, the conversation list),
 * the header of the conversation on screen, and the main column the views are placed in. It
 * owns only layout state: which view shows (welcome or conversation) and whether the sidebar
 * is open on a narrow screen.
 */
import type { UserRef } from "../protocol/index.ts";
import type { Conversation } from "./conversation.ts";
import { h } from "./dom.ts";

export interface ChatLayoutParts {
  me: UserRef;
  /** Controls in the sidebar's top row, after the name. */
  settings: Node[];
  /** The parts of the main column, top to bottom, after the header. */
  main: Node[];
  /** Extra controls at the end of the header (safety number, room settings). */
  headerEnd: Node[];
  /** Dialogs and overlays, outside the columns. */
  dialogs: Node[];
  /** "Start a conversation" on the welcome view. */
  start(): void;
}

export class ChatLayout {
  readonly root: HTMLElement;
  readonly nav: HTMLElement;
  readonly main: HTMLElement;
  readonly title: HTMLHeadingElement;
  readonly subtitle: HTMLParagraphElement;
  private readonly menu: HTMLButtonElement;

  constructor(p: ChatLayoutParts) {
    this.nav = h("nav", { class: "sidebar", id: "sidebar", "aria-label": "Conversations" });
    this.nav.append(
      h(
        "div",
        { class: "me" },
        h("span", { class: "avatar", "aria-hidden": "true" }, initial(p.me.name)),
        h("span", { class: "me-name", title: p.me.name }, p.me.name),
        ...p.settings,
      ),
    );
    this.title = h("h1", { class: "room-title" }, "Parley");
    this.subtitle = h("p", { class: "room-subtitle" });
    this.menu = h(
      "button",
      {
        type: "button",
        class: "icon-button menu",
        "aria-label": "Show conversations",
        "aria-controls": "sidebar",
        "aria-expanded": "false",
      },
      "☰",
    );
    this.menu.addEventListener("click", () => this.toggleSidebar());
    const start = h("button", { type: "button", class: "primary" }, "Start a conversation");
    start.addEventListener("click", () => p.start());
    const welcome = h(
      "section",
      { class: "welcome", "aria-label": "No conversation yet" },
      h("span", { class: "logo", "aria-hidden": "true" }, "P"),
      h("h2", { class: "welcome-title" }, "Welcome, ", h("span", { class: "name" }, p.me.name)),
      h("p", {}, "Create a room or join one to start talking."),
      start,
    );
    this.main = h(
      "main",
      { class: "chat", "aria-label": "Conversation" },
      h(
        "header",
        { class: "chat-head" },
        this.menu,
        h("div", { class: "chat-titles" }, this.title, this.subtitle),
        ...p.headerEnd,
      ),
      welcome,
      ...p.main,
    );
    const scrim = h("div", { class: "scrim", "aria-hidden": "true" });
    scrim.addEventListener("click", () => this.toggleSidebar(false));
    this.root = h(
      "div",
      { class: "shell", "data-sidebar": "closed", "data-view": "welcome" },
      this.nav,
      scrim,
      this.main,
      ...p.dialogs,
    );
    this.root.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.root.dataset.sidebar === "open") this.toggleSidebar(false);
    });
  }

  /** The header of the conversation on screen: its name, then members and topic, or the DM's state. */
  header(c: Conversation, verified: boolean): void {
    const members = `${c.summary.members} member${c.summary.members === 1 ? "" : "s"}`;
    this.title.textContent = c.label;
    this.main.dataset.kind = c.summary.kind; // shows controls of one kind only (a group's)
    this.subtitle.textContent = c.isDm
      ? [c.peerStatus, "end-to-end encrypted", verified ? "✓ verified" : undefined]
          .filter(Boolean)
          .join(" · ")
      : `${members}${c.summary.topic ? ` · ${c.summary.topic}` : ""}`;
  }

  showConversation(): void {
    this.root.dataset.view = "conversation";
  }

  toggleSidebar(open = this.root.dataset.sidebar !== "open"): void {
    this.root.dataset.sidebar = open ? "open" : "closed";
    this.menu.setAttribute("aria-expanded", String(open));
    this.menu.setAttribute("aria-label", open ? "Hide conversations" : "Show conversations");
    if (open) this.root.querySelector<HTMLButtonElement>(".sidebar .conversation")?.focus();
  }
}

function initial(name: string): string {
  const first = name.codePointAt(0);
  return (first === undefined ? "?" : String.fromCodePoint(first)).toUpperCase();
}
