/**
 * The header's control for how loud the conversation on screen is: a bell button showing the
 * level, opening a small dialog with the three choices as radio buttons (all messages,
 * mentions only, muted). See notify-levels.ts for what each does.
 */
import type { Conversation } from "./conversation.ts";
import { h } from "./dom.ts";
import { bell } from "./notifications.ts";
import { NOTIFY_LEVELS, type NotifyLevel, type NotifyLevels } from "./notify-levels.ts";

const LEVEL_TEXT: Record<NotifyLevel, { label: string; hint: string }> = {
  all: { label: "All messages", hint: "A notification for every message." },
  mentions: { label: "Mentions only", hint: "A notification when someone @mentions you." },
  muted: { label: "Muted", hint: "No notifications; a dot instead of a count." },
};

export class NotifyMenu {
  readonly button: HTMLButtonElement;
  readonly root: HTMLDialogElement;
  private readonly title: HTMLHeadingElement;
  private readonly radios = new Map<NotifyLevel, HTMLInputElement>();
  private room: Conversation | undefined;

  constructor(private readonly levels: NotifyLevels) {
    this.button = h("button", { type: "button", class: "icon-button notify-level", hidden: true });
    this.button.append(bell());
    this.button.addEventListener("click", () => this.open());
    this.title = h("h2", { id: "notify-menu-title" }, "Notifications");
    const choices = h(
      "fieldset",
      { class: "notify-choices" },
      h("legend", { class: "visually-hidden" }, "Notify me about"),
    );
    for (const level of NOTIFY_LEVELS) {
      const id = `notify-${level}`;
      const radio = h("input", { type: "radio", name: "notify-level", id, value: level });
      radio.addEventListener("change", () => {
        if (radio.checked && this.room) {
          this.levels.set(this.room.id, level);
          this.render(this.room);
        }
      });
      this.radios.set(level, radio);
      choices.append(
        h(
          "div",
          { class: "notify-choice" },
          radio,
          h(
            "label",
            { for: id },
            LEVEL_TEXT[level].label,
            h("span", { class: "hint" }, LEVEL_TEXT[level].hint),
          ),
        ),
      );
    }
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog notify-menu", "aria-labelledby": "notify-menu-title" },
      h("div", { class: "dialog-head" }, this.title, close),
      choices,
    );
  }

  /** Shows the level of the conversation on screen on the bell. */
  render(c: Conversation): void {
    this.room = c;
    const level = this.levels.of(c.id, c.isDm);
    this.button.hidden = false;
    this.button.dataset.level = level;
    this.button.setAttribute(
      "aria-label",
      `Notifications for ${c.label}: ${LEVEL_TEXT[level].label}`,
    );
    this.button.title = `Notifications: ${LEVEL_TEXT[level].label}`;
  }

  private open(): void {
    const c = this.room;
    if (!c) return;
    this.title.textContent = `Notifications for ${c.label}`;
    const level = this.levels.of(c.id, c.isDm);
    for (const [l, radio] of this.radios) radio.checked = l === level;
    this.root.showModal();
    this.radios.get(level)?.focus();
  }
}
