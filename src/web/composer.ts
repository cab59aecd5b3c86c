/**
 * The message box: Enter sends, Shift+Enter makes a new line; typing is reported (the caller
 * throttles it). Text over the server's limit is kept, counted and not sent, never cut. Where this browser cannot send (a DM with encryption unavailable), it is
 * replaced by a note saying why.
 */
import { h } from "./dom.ts";

export interface ComposerHooks {
  send(text: string): void;
  /** The longest message the server takes (hello.limits.maxMessageChars). @default 4000 */
  maxChars?(): number | undefined;
  typing(): void;
  /** The text in the box changed (typed, cleared by a send): kept as the room's draft. */
  edited?(text: string): void;
  /** Files picked with the attach button; without this hook there is no button. */
  files?(files: File[]): void;
  /** Names that "@" completes with Tab, most relevant first. */
  names?(): string[];
}

/** Tab after "@al" completes to "@alice ": the first known name that starts so, then the next. */
export function completeMention(
  before: string,
  names: readonly string[],
  last?: string,
): { start: number; text: string } | undefined {
  const m = /(^|\s)@([A-Za-z0-9_-]*)$/.exec(before);
  if (!m) return undefined;
  const typed = (m[2] ?? "").toLowerCase();
  const matches = names.filter((n) => n.toLowerCase().startsWith(typed));
  if (matches.length === 0) return undefined;
  const next = last ? matches[(matches.indexOf(last) + 1) % matches.length] : matches[0];
  return { start: before.length - (m[2] ?? "").length - 1, text: `@${next} ` };
}

const DEFAULT_MAX_CHARS = 4000;
const number = new Intl.NumberFormat();

export class Composer {
  readonly root: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly button: HTMLButtonElement;
  private readonly note: HTMLParagraphElement;
  private readonly attach: HTMLButtonElement | undefined;
  private readonly count: HTMLParagraphElement;
  private disabledWhy: string | undefined;
  private readonly limit: () => number;

  constructor(hooks: ComposerHooks) {
    this.input = h("textarea", {
      rows: 1,
      class: "composer-input",
      placeholder: "Write a message",
      "aria-label": "Message",
    });
    // No maxlength: a paste over the limit is kept whole and refused with a count, not cut.
    this.count = h("p", { class: "composer-count", id: "composer-count", hidden: true });
    this.button = h("button", { type: "submit", class: "send", "aria-label": "Send" }, "Send");
    this.note = h("p", { class: "composer-note", hidden: true });
    const picker = hooks.files && filePicker(hooks.files);
    this.attach = picker?.button;
    this.root = h(
      "form",
      { class: "composer", "aria-label": "Send a message" },
      this.note,
      this.count,
      h("div", { class: "composer-row" }, picker?.input, this.attach, this.input, this.button),
    );
    const limit = () => hooks.maxChars?.() ?? DEFAULT_MAX_CHARS;
    this.limit = limit;
    const submit = () => {
      const text = this.input.value;
      if (text.trim() === "" || [...text].length > limit()) return;
      this.input.value = "";
      this.fit();
      this.renderCount(limit());
      hooks.edited?.("");
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
      } else if (e.key === "Tab" && !e.shiftKey && hooks.names) {
        const at = this.input.selectionStart;
        const before = this.input.value.slice(0, at);
        const done = completeMention(before, hooks.names());
        if (!done) return;
        // Tab moves the focus on unless there was something to complete.
        e.preventDefault();
        this.input.setRangeText(done.text, done.start, at, "end");
        this.input.dispatchEvent(new Event("input"));
      }
    });
    this.input.addEventListener("input", () => {
      this.fit();
      this.renderCount(limit());
      hooks.edited?.(this.input.value);
      if (this.input.value.trim() !== "") hooks.typing();
    });
  }

  /** Points the box at a conversation; `disabled` explains why it cannot send there. */
  target(label: string, disabled?: string): void {
    this.input.setAttribute("aria-label", `Message ${label}`);
    this.input.placeholder = `Message ${[...label].length > 20 ? `${[...label].slice(0, 19).join("")}…` : label}`;
    this.disabledWhy = disabled;
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

  /** Puts a conversation's draft in the box (replacing what was there). */
  set text(value: string) {
    this.input.value = value;
    this.fit();
    this.renderCount(this.limit());
  }

  focus(): void {
    if (!this.input.disabled) this.input.focus();
  }

  /** Near the limit, how many characters are left; past it, that it is too long, and no Send. */
  private renderCount(max: number): void {
    const n = [...this.input.value].length;
    const near = n > max * 0.9;
    this.count.hidden = !near;
    this.count.classList.toggle("over", n > max);
    this.count.textContent = near ? `${number.format(n)} / ${number.format(max)} characters` : "";
    if (near) this.input.setAttribute("aria-describedby", this.count.id);
    else this.input.removeAttribute("aria-describedby");
    this.input.setAttribute("aria-invalid", String(n > max));
    this.button.disabled = !!this.disabledWhy || n > max;
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
