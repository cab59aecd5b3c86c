/**
 * The chat view's screen: a scrolling log of lines above a footer of status, pending messages
 * and the input line. Printing a line clears the footer, writes the line where the footer was,
 * and draws the footer again below it, so incoming messages never disturb what is being typed.
 */
import type { LineEditor } from "./line-editor.ts";
import type { Style } from "./style.ts";
import { sanitize, truncate, width } from "./text-layout.ts";

export interface TerminalOutput {
  write(text: string): unknown;
  readonly columns?: number;
}

export type StatusTone = "ok" | "warn" | "error";

/** At most this many pending messages are listed; the rest are counted. */
const PENDING_SHOWN = 4;

export class ChatScreen {
  /** Rows the footer occupies now; the cursor is on its last row (the input line). */
  private footerRows = 0;
  status = "";
  tone: StatusTone = "warn";
  pending: string[] = [];
  prompt = "› ";

  constructor(
    private readonly out: TerminalOutput,
    private readonly editor: LineEditor,
    private readonly style: Style,
  ) {}

  /** Usable columns: one less than the terminal, so no line ever triggers an automatic wrap. */
  get columns(): number {
    return Math.max(20, (this.out.columns ?? 80) - 1);
  }

  /** Writes lines above the footer. Each line must already fit in `columns`. */
  print(lines: string[]): void {
    this.out.write(this.clearFooter() + lines.map((l) => `${l}\r\n`).join("") + this.footer());
  }

  render(): void {
    this.out.write(this.clearFooter() + this.footer());
  }

  /** Removes the footer for good (leaving the view); the cursor ends at the start of a line. */
  close(): void {
    this.out.write(this.clearFooter());
    this.footerRows = 0;
  }

  private clearFooter(): string {
    if (this.footerRows === 0) return "\r";
    const up = this.footerRows > 1 ? `\x1b[${this.footerRows - 1}A` : "";
    this.footerRows = 0;
    return `\r${up}\x1b[J`;
  }

  private footer(): string {
    const cols = this.columns;
    const dot =
      this.tone === "ok"
        ? this.style.green("●")
        : this.tone === "warn"
          ? this.style.yellow("◌")
          : this.style.red("✕");
    const rows = [`${dot} ${this.style.dim(truncate(this.status, cols - 2))}`];
    for (const body of this.pending.slice(0, PENDING_SHOWN)) {
      rows.push(this.style.dim(`  ◷ pending: ${truncate(sanitize(body), cols - 13)}`));
    }
    if (this.pending.length > PENDING_SHOWN) {
      rows.push(this.style.dim(`  ◷ and ${this.pending.length - PENDING_SHOWN} more pending`));
    }
    const promptWidth = width(this.prompt);
    const view = this.editor.view(cols - promptWidth);
    rows.push(this.style.cyan(this.prompt) + view.text);
    this.footerRows = rows.length;
    const column = promptWidth + view.cursorColumn;
    return `${rows.join("\r\n")}\r${column > 0 ? `\x1b[${column}C` : ""}`;
  }
}
