/**
 * The text being typed: a list of graphemes and a cursor, edited by keys, with a one-entry kill
 * ring (Ctrl-K/U/W cut, Ctrl-Y puts back). The text may hold newlines (Alt-Enter, a paste);
 * they show as "↵" on the one input row. No I/O.
 */
import { graphemes, width } from "./text-layout.ts";

/** How a newline in the input looks on its single row. */
const NEWLINE_MARK = "↵";

export class LineEditor {
  private chars: string[] = [];
  /** The last text cut, for Ctrl-Y. */
  private killed = "";
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
    this.killed = this.chars.splice(0, this.cursor).join("");
    this.cursor = 0;
  }

  /** Ctrl-K: everything from the cursor on goes. */
  killToEnd(): void {
    this.killed = this.chars.splice(this.cursor).join("");
  }

  /** Ctrl-W: the word before the cursor goes, with the spaces after it. */
  killWord(): void {
    const i = this.wordStart();
    this.killed = this.chars.splice(i, this.cursor - i).join("");
    this.cursor = i;
  }

  /** Ctrl-Y: what was cut last comes back at the cursor. */
  yank(): void {
    this.insert(this.killed);
  }

  /** Alt-B: to the start of this word, or of the one before. */
  wordLeft(): void {
    this.cursor = this.wordStart();
  }

  /** Alt-F: to the end of this word, or of the next one. */
  wordRight(): void {
    let i = this.cursor;
    while (i < this.chars.length && /\s/.test(this.chars[i] as string)) i++;
    while (i < this.chars.length && !/\s/.test(this.chars[i] as string)) i++;
    this.cursor = i;
  }

  private wordStart(): number {
    let i = this.cursor;
    while (i > 0 && /\s/.test(this.chars[i - 1] as string)) i--;
    while (i > 0 && !/\s/.test(this.chars[i - 1] as string)) i--;
    return i;
  }

  /** The text before the cursor (what Tab completes). */
  get beforeCursor(): string {
    return this.chars.slice(0, this.cursor).join("");
  }

  /** Replaces the last `count` graphemes before the cursor (a completed word). */
  replaceBeforeCursor(count: number, text: string): void {
    const from = Math.max(0, this.cursor - count);
    this.chars.splice(from, this.cursor - from);
    this.cursor = from;
    this.insert(text);
  }

  /** Replaces everything (a line recalled from history); the cursor goes to the end. */
  set(text: string): void {
    this.chars = graphemes(text);
    this.cursor = this.chars.length;
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
    const shownAs = (g: string) => (g === "\n" ? NEWLINE_MARK : g);
    for (let i = before.length - 1; i >= 0; i--) {
      const g = shownAs(before[i] as string);
      const w = width(g);
      if (used + w > columns - 1) break;
      shown.unshift(g);
      used += w;
    }
    const cursorColumn = used;
    const rest: string[] = [];
    for (const raw of after) {
      const g = shownAs(raw);
      const w = width(g);
      if (used + w > columns) break;
      rest.push(g);
      used += w;
    }
    shown = shown.concat(rest);
    return { text: shown.join(""), cursorColumn };
  }
}
