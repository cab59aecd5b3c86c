/**
 * The chat view's screen, drawn whole (in the terminal's alternate screen, as weechat does):
 * the current buffer's lines fill the top, and the footer below holds the activity bar, the
 * status row, pending messages and the input line. Every render redraws every row, so resizing
 * or leaving never leaves a stale fragment behind, and incoming messages never disturb what is
 * being typed. Bracketed paste is switched on while the view is open.
 */
import type { ChatBuffer } from "./chat-buffer.ts";
import type { LineEditor } from "./line-editor.ts";
import type { Style } from "./style.ts";
import { sanitize, truncate, width } from "./text-layout.ts";

export interface TerminalOutput {
  write(text: string): unknown;
  readonly columns?: number;
  readonly rows?: number;
}

export type StatusTone = "ok" | "warn" | "error";

/** At most this many pending messages are listed; the rest are counted. */
const PENDING_SHOWN = 4;

const ENTER = "\x1b[?1049h\x1b[?2004h";
const LEAVE = "\x1b[?2004l\x1b[?1049l";

export class TerminalScreen {
  status = "";
  tone: StatusTone = "warn";
  pending: string[] = [];
  prompt = "› ";
  /** The activity bar's text (the buffer list). */
  bar = "";
  /** The buffer on screen; nothing is drawn above the footer without one. */
  buffer: ChatBuffer | undefined;
  private opened = false;
  private scheduled = false;

  constructor(
    private readonly out: TerminalOutput,
    private readonly editor: LineEditor,
    private readonly style: Style,
  ) {}

  /** Usable columns: one less than the terminal, so no line ever triggers an automatic wrap. */
  get columns(): number {
    return Math.max(20, (this.out.columns ?? 80) - 1);
  }

  get rows(): number {
    return Math.max(8, this.out.rows ?? 24);
  }

  /** Rows the log has now (PageUp scrolls by one of these less a line). */
  get logRows(): number {
    return Math.max(1, this.rows - this.footer().length);
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.out.write(ENTER);
    this.render();
  }

  /** Rings the terminal's bell (a mention). */
  bell(): void {
    this.out.write("\x07");
  }

  /**
   * Redraws once the current batch of events is handled: a burst of messages (a catch-up, a
   * busy room in the background) costs one redraw, not one per message.
   */
  render(): void {
    if (!this.opened || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  private draw(): void {
    if (!this.opened) return;
    const cols = this.columns;
    const footer = this.footer();
    const logRows = Math.max(1, this.rows - footer.length);
    const b = this.buffer;
    let log = b ? b.window(cols, logRows) : [];
    if (b && b.scroll > 0) {
      log = log.slice(0, logRows - 1);
      log.push(this.style.yellow(`  ↓ more below (${b.scroll} lines): PageDown`));
    }
    // Short buffers sit at the bottom, next to the input, as in a terminal.
    const rows = [...Array<string>(Math.max(0, logRows - log.length)).fill(""), ...log, ...footer];
    const promptWidth = width(this.prompt);
    const cursor = promptWidth + this.editor.view(cols - promptWidth).cursorColumn;
    this.out.write(
      `\x1b[?25l\x1b[H${rows.map((r) => `${r}\x1b[K`).join("\r\n")}\x1b[${rows.length};${cursor + 1}H\x1b[?25h`,
    );
  }

  /**
   * Leaves the view: the terminal's own screen (and scrollback) comes back as it was, with the
   * reason for leaving (if any) written below it.
   */
  close(farewell?: string): void {
    if (!this.opened) return;
    this.opened = false;
    this.out.write(LEAVE + (farewell ? `${sanitize(farewell)}\r\n` : ""));
  }

  private footer(): string[] {
    const cols = this.columns;
    const sym = this.style.symbols;
    const mark =
      this.tone === "ok" ? sym.online : this.tone === "warn" ? sym.connecting : sym.offline;
    const dot =
      this.tone === "ok"
        ? this.style.green(mark)
        : this.tone === "warn"
          ? this.style.yellow(mark)
          : this.style.red(mark);
    const rows = [
      this.style.cyan(truncate(sanitize(this.bar), cols)),
      `${dot} ${this.style.dim(truncate(sanitize(this.status), cols - 1 - width(mark)))}`,
    ];
    const clock = sym.pending;
    for (const body of this.pending.slice(0, PENDING_SHOWN)) {
      const room = cols - 12 - width(clock);
      rows.push(this.style.dim(`  ${clock} pending: ${truncate(sanitize(body), room)}`));
    }
    if (this.pending.length > PENDING_SHOWN) {
      rows.push(
        this.style.dim(`  ${clock} and ${this.pending.length - PENDING_SHOWN} more pending`),
      );
    }
    const promptWidth = width(this.prompt);
    rows.push(this.style.cyan(this.prompt) + this.editor.view(cols - promptWidth).text);
    return rows;
  }
}
