/**
 * The message box: Enter sends, Shift+Enter makes a new line; typing is reported (the caller
 * throttles it). Where this browser cannot send (a DM with encryption unavailable), it is
 * replaced by a note saying why.
 */
import { h } from "./dom.ts";

export interface ComposerHooks {
  send(text: string): void;
  typing(): void;
  /** Files picked with the attach button; without this hook there is no button. */
  files?(files: File[]): void;
}

export class Composer {
  readonly root: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly button: HTMLButtonElement;
  private readonly note: HTMLParagraphElement;
  private readonly attach: HTMLButtonElement | undefined;

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
    const picker = hooks.files && filePicker(hooks.files);
    this.attach = picker?.button;
    this.root = h(
      "form",
      { class: "composer", "aria-label": "Send a message" },
      this.note,
      h("div", { class: "composer-row" }, picker?.input, this.attach, this.input, this.button),
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

  /** Offers the attach button or not (`why` says why not, as its tooltip). */
  allowFiles(allowed: boolean, why?: string): void {
    if (!this.attach) return;
    this.attach.disabled = !allowed;
    this.attach.title = allowed ? "Share a file (or drop it on the conversation)" : (why ?? "");
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

/** The attach button and the hidden file input it opens. */
function filePicker(picked: (files: File[]) => void): {
  input: HTMLInputElement;
  button: HTMLButtonElement;
} {
  const input = h("input", {
    type: "file",
    multiple: true,
    hidden: true,
    class: "file-input",
    "aria-label": "Files to share",
  });
  const button = h(
    "button",
    { type: "button", class: "icon-button attach", "aria-label": "Share a file" },
    paperclip(),
  );
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])];
    input.value = "";
    if (files.length > 0) picked(files);
  });
  return { input, button };
}

/** A paperclip drawn as SVG: emoji fonts are not everywhere. */
function paperclip(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute(
    "d",
    "M21 11.5l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l9.2-9.2a3.7 3.7 0 0 1 5.2 5.2l-9.2 9.2a1.8 1.8 0 0 1-2.6-2.6l8.5-8.5",
  );
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
