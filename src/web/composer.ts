/**
 * The message box: Enter sends, Shift+Enter makes a new line; typing is reported (the caller
 * throttles it). In a DM, which this client cannot encrypt yet, it is replaced by a note.
 */
import { h } from "./dom.ts";

export interface ComposerHooks {
  send(text: string): void;
  typing(): void;
}

export class Composer {
  readonly root: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly button: HTMLButtonElement;
  private readonly note: HTMLParagraphElement;

  constructor(hooks: ComposerHooks) {
    this.input = h("textarea", {
      rows: 1,
      class: "composer-input",
      placeholder: "Write a message",
      "aria-label": "Message",
      maxlength: 4000,
    });
    this.button = h("button", { type: "submit", class: "send", "aria-label": "Send" }, "Send");
    this.note = h("p", { class: "composer-note", hidden: true });
    this.root = h(
      "form",
      { class: "composer", "aria-label": "Send a message" },
      this.note,
      h("div", { class: "composer-row" }, this.input, this.button),
    );
    const submit = () => {
      const text = this.input.value;
      if (text.trim() === "") return;
      this.input.value = "";
      this.fit();
      hooks.send(text);
    };
    this.root.addEventListener("submit", (e) => {
      e.preventDefault();
      submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    this.input.addEventListener("input", () => {
      this.fit();
      if (this.input.value.trim() !== "") hooks.typing();
    });
  }

  /** Points the box at a conversation; `disabled` explains why it cannot send there. */
  target(label: string, disabled?: string): void {
    this.input.setAttribute("aria-label", `Message ${label}`);
    this.input.placeholder = `Message ${label}`;
    this.note.hidden = !disabled;
    this.note.textContent = disabled ?? "";
    this.input.disabled = !!disabled;
    this.button.disabled = !!disabled;
    this.root.classList.toggle("disabled", !!disabled);
  }

  focus(): void {
    if (!this.input.disabled) this.input.focus();
  }

  /** Grows with its text up to a few lines. */
  private fit(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
  }
}
