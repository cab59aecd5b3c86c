/**
 * The lines sent in one buffer, for Up and Down: Up walks back from the newest, Down forward,
 * and past the newest the draft that was being typed comes back. Bounded, and plain data so
 * the session store can keep it across restarts.
 */

/** Lines kept per buffer. */
export const HISTORY_KEPT = 100;

export class InputHistory {
  /** Index into lines while recalling; lines.length means "the draft". */
  private at: number;
  private draft = "";

  constructor(readonly lines: string[] = []) {
    this.lines.splice(0, Math.max(0, this.lines.length - HISTORY_KEPT));
    this.at = this.lines.length;
  }

  /** A line was sent: it becomes the newest (a repeat of the newest is kept once). */
  add(line: string): void {
    if (line.trim() !== "" && this.lines.at(-1) !== line) this.lines.push(line);
    if (this.lines.length > HISTORY_KEPT) this.lines.shift();
    this.at = this.lines.length;
    this.draft = "";
  }

  /** Up: the line before, or undefined at the oldest. `current` is kept as the draft. */
  previous(current: string): string | undefined {
    if (this.at === 0) return undefined;
    if (this.at === this.lines.length) this.draft = current;
    this.at--;
    return this.lines[this.at];
  }

  /** Down: the line after, the draft past the newest, or undefined when already there. */
  next(): string | undefined {
    if (this.at >= this.lines.length) return undefined;
    this.at++;
    return this.at === this.lines.length ? this.draft : this.lines[this.at];
  }
}
