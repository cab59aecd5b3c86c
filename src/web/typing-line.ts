/**
 * "alice is typing…" under the conversation on screen: the line that says who the chat session
 * has typing there, kept current as notices expire.
 */
import { typingText } from "../client-core/typing-indicator.ts";
import { h } from "./dom.ts";

/** What the line reads: the chat session's typing state. */
export interface TypingSource {
  typing(room: number): string[];
  nextTypingExpiry(): number | undefined;
}

export class TypingLine {
  readonly root: HTMLParagraphElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private room: number | undefined;

  constructor(private readonly source: TypingSource) {
    this.root = h("p", { class: "typing", "aria-live": "polite" });
  }

  /** Who types in `room` changed: redrawn if it is on screen. */
  changed(room: number): void {
    if (room === this.room) this.render(room);
  }

  /** Shows who is typing in `room` (the one on screen) until it changes. */
  render(room: number | undefined): void {
    this.room = room;
    clearTimeout(this.timer);
    const now = Date.now();
    this.root.textContent = typingText(room === undefined ? [] : this.source.typing(room));
    const next = this.source.nextTypingExpiry();
    if (next !== undefined) {
      this.timer = setTimeout(() => this.render(this.room), Math.max(50, next - now));
    }
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
