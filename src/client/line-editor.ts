/** The text being typed: a list of graphemes and a cursor, edited by keys. No I/O. */
import { graphemes, width } from "./text-layout.ts";

export class LineEditor {
  private chars: string[] = [];
  /** Index into chars: the cursor sits before chars[cursor]. */
  private cursor = 0;

  get text(): string {
    return this.chars.join("");
  }

  get isEmpty(): boolean {
    return this.chars.length === 0;
  }

  insert(text: string): void {
    const added = graphemes(text);
    this.chars.splice(this.cursor, 0, ...added);
    this.cursor += added.length;
  }

  backspace(): void {
    if (this.cursor === 0) return;
    this.chars.splice(this.cursor - 1, 1);
    this.cursor--;
  }

  deleteForward(): void {
    this.chars.splice(this.cursor, 1);
  }

  left(): void {
    this.cursor = Math.max(0, this.cursor - 1);
  }

  right(): void {
    this.cursor = Math.min(this.chars.length, this.cursor + 1);
  }

  home(): void {
    this.cursor = 0;
  }

  end(): void {
    this.cursor = this.chars.length;
  }

  /** Ctrl-U: everything before the cursor goes. */
  killToStart(): void {
    this.chars.splice(0, this.cursor);
    this.cursor = 0;
  }

  /** Ctrl-W: the word before the cursor goes, with the spaces after it. */
  killWord(): void {
    let i = this.cursor;
    while (i > 0 && this.chars[i - 1] === " ") i--;
    while (i > 0 && this.chars[i - 1] !== " ") i--;
    this.chars.splice(i, this.cursor - i);
    this.cursor = i;
  }

  /** Returns the line and starts a fresh one (Enter). */
  take(): string {
    const text = this.text;
    this.chars = [];
    this.cursor = 0;
    return text;
  }

  /**
   * The part to show in `columns`, scrolled so the cursor is visible, and the cursor's column
   * within it. Wide characters count as two columns.
   */
  view(columns: number): { text: string; cursorColumn: number } {
    const before = this.chars.slice(0, this.cursor);
    const after = this.chars.slice(this.cursor);
    let shown: string[] = [];
    let used = 0;
    // Keep one column free for the cursor itself.
    for (let i = before.length - 1; i >= 0; i--) {
      const w = width(before[i] as string);
      if (used + w > columns - 1) break;
      shown.unshift(before[i] as string);
      used += w;
    }
    const cursorColumn = used;
    const rest: string[] = [];
    for (const g of after) {
      const w = width(g);
      if (used + w > columns) break;
      rest.push(g);
      used += w;
    }
    shown = shown.concat(rest);
    return { text: shown.join(""), cursorColumn };
  }
}
