/**
 * A polite live region for screen readers: new messages in the conversation on screen are
 * read out as "bob: the text" (a burst as "3 new messages from bob and carol"), without
 * moving focus. The message list itself is not live, so switching rooms (which redraws it)
 * reads nothing out.
 */
import { h } from "./dom.ts";

/** Messages arriving within this long of each other are announced together. */
const GATHER_MS = 600;
const TEXT_MAX = 140;

export class Announcer {
  readonly root: HTMLElement;
  private gathered: { from: string; text: string }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.root = h("div", {
      class: "visually-hidden announcer",
      role: "status",
      "aria-live": "polite",
      "aria-atomic": "true",
    });
  }

  /** A new message from someone else in the conversation on screen. */
  message(from: string, body: string, file?: string): void {
    const text = body !== "" ? body : file ? `shared ${file}` : "a message";
    this.gathered.push({
      from,
      text: text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text,
    });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), GATHER_MS);
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private flush(): void {
    const all = this.gathered.splice(0);
    if (all.length === 0) return;
    const first = all[0] as { from: string; text: string };
    if (all.length === 1) {
      this.root.textContent = `${first.from}: ${first.text}`;
      return;
    }
    const names = [...new Set(all.map((m) => m.from))];
    const who =
      names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
    this.root.textContent = `${all.length} new messages from ${who}`;
  }
}
