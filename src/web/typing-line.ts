/**
 * "alice is typing…" under the conversation on screen: who types where (the shared
 * TypingIndicator), the line that says it, kept current as notices expire, and this user's own
 * keystrokes reported, throttled by the shared TypingSender.
 */
import { TypingIndicator, TypingSender, typingText } from "../client-core/typing-indicator.ts";
import type { UserRef } from "../protocol/index.ts";
import { h } from "./dom.ts";

export class TypingLine {
  readonly root: HTMLParagraphElement;
  private readonly typing = new TypingIndicator();
  private readonly sender: TypingSender;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private room: number | undefined;

  constructor(notify: (room: number) => void) {
    this.root = h("p", { class: "typing", "aria-live": "polite" });
    this.sender = new TypingSender(notify);
  }

  /** This user typed in `room`. */
  keystroke(room: number): void {
    this.sender.keystroke(room, Date.now());
  }

  /** This user sent a message in `room`: the next keystroke is reported again. */
  sent(room: number): void {
    this.sender.sent(room);
  }

  /** Someone else is typing in `room`. */
  typingIn(room: number, user: UserRef): void {
    this.typing.typing(room, user, Date.now());
    if (room === this.room) this.render(room);
  }

  /** `user` sent a message in `room` or left it: no longer typing. */
  stopped(room: number, userId: number): void {
    this.typing.stopped(room, userId);
    if (room === this.room) this.render(room);
  }

  /** Shows who is typing in `room` (the one on screen) until it changes. */
  render(room: number | undefined): void {
    this.room = room;
    clearTimeout(this.timer);
    const now = Date.now();
    this.root.textContent = typingText(room === undefined ? [] : this.typing.who(room, now));
    const next = this.typing.nextExpiry();
    if (next !== undefined) {
      this.timer = setTimeout(() => this.render(this.room), Math.max(50, next - now));
    }
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
