/**
 * Just enough of a terminal to read the client's screen in tests: a grid of cells fed the bytes
 * a PTY produces, with the cursor moves and erases that clack and the chat view use. Wide
 * characters fill two cells, as a real terminal does.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export class VirtualTerminal {
  private grid: string[][];
  private row = 0;
  private col = 0;
  private pending = "";
  /** The main screen while the alternate one is shown. */
  private saved: { grid: string[][]; row: number; col: number } | undefined;
  /** Every BEL received so far. */
  bells = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => this.blank());
  }

  private blank(): string[] {
    return Array.from({ length: this.cols }, () => " ");
  }

  write(bytes: Uint8Array): void {
    this.pending += this.decoder.decode(bytes, { stream: true });
    // Keep an unfinished escape sequence for the next chunk.
    const cut = this.pending.lastIndexOf("\x1b");
    let text = this.pending;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are the input here.
    if (cut >= 0 && !/^\x1b(\[[\d;?]*[@-~]|[^[])/.test(this.pending.slice(cut))) {
      text = this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut);
    } else {
      this.pending = "";
    }
    this.feed(text);
  }

  private lineFeed(): void {
    if (this.row < this.rows - 1) this.row++;
    else {
      this.grid.shift();
      this.grid.push(this.blank());
    }
  }

  private feed(text: string): void {
    let i = 0;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === "\x1b") {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are the input here.
        const m = /^\x1b\[([\d;?]*)([@-~])/.exec(text.slice(i));
        if (m) {
          this.csi(m[1] ?? "", m[2] ?? "");
          i += m[0].length;
        } else i += 2;
        continue;
      }
      if (c === "\x07") this.bells++;
      else if (c === "\r") this.col = 0;
      else if (c === "\n") this.lineFeed();
      else if (c === "\b") this.col = Math.max(0, this.col - 1);
      else if (c >= " ") {
        const g = segmenter
          .segment(text.slice(i, i + 16))
          [Symbol.iterator]()
          .next().value?.segment as string;
        const w = Math.max(1, Bun.stringWidth(g));
        if (this.col + w > this.cols) {
          this.col = 0;
          this.lineFeed();
        }
        const line = this.grid[this.row] as string[];
        line[this.col] = g;
        if (w === 2 && this.col + 1 < this.cols) line[this.col + 1] = "";
        this.col += w;
        i += g.length;
        continue;
      }
      i++;
    }
  }

  private csi(params: string, final: string): void {
    if (params === "?1049" && (final === "h" || final === "l")) {
      this.alternate(final === "h");
      return;
    }
    if (params.startsWith("?")) return;
    const n = params.split(";").map((p) => (p === "" ? undefined : Number(p)));
    const a = n[0] ?? 1;
    switch (final) {
      case "A":
        this.row = Math.max(0, this.row - a);
        break;
      case "B":
        this.row = Math.min(this.rows - 1, this.row + a);
        break;
      case "C":
        this.col = Math.min(this.cols - 1, this.col + a);
        break;
      case "D":
        this.col = Math.max(0, this.col - a);
        break;
      case "E":
        this.row = Math.min(this.rows - 1, this.row + a);
        this.col = 0;
        break;
      case "F":
        this.row = Math.max(0, this.row - a);
        this.col = 0;
        break;
      case "G":
        this.col = Math.min(this.cols - 1, a - 1);
        break;
      case "H":
        this.row = Math.min(this.rows - 1, (n[0] ?? 1) - 1);
        this.col = Math.min(this.cols - 1, (n[1] ?? 1) - 1);
        break;
      case "J": {
        const mode = n[0] ?? 0;
        if (mode === 2 || mode === 3) this.grid = this.grid.map(() => this.blank());
        else if (mode === 0) {
          this.clearLine(0);
          for (let r = this.row + 1; r < this.rows; r++) this.grid[r] = this.blank();
        }
        break;
      }
      case "K": {
        const mode = n[0] ?? 0;
        this.clearLine(mode);
        break;
      }
    }
  }

  /** The alternate screen (ESC[?1049h/l): a blank grid, and the main one back as it was. */
  private alternate(on: boolean): void {
    if (on && !this.saved) {
      this.saved = { grid: this.grid, row: this.row, col: this.col };
      this.grid = Array.from({ length: this.rows }, () => this.blank());
    } else if (!on && this.saved) {
      ({ grid: this.grid, row: this.row, col: this.col } = this.saved);
      this.saved = undefined;
    }
  }

  private clearLine(mode: number): void {
    const line = this.grid[this.row] as string[];
    for (let c = 0; c < this.cols; c++) {
      if (mode === 2 || (mode === 0 && c >= this.col) || (mode === 1 && c <= this.col)) {
        line[c] = " ";
      }
    }
  }

  /** The screen as text, one string per row, trailing spaces removed. */
  lines(): string[] {
    return this.grid.map((cells) => cells.join("").trimEnd());
  }

  text(): string {
    return this.lines().join("\n");
  }

  /** The row the cursor is on. */
  cursorLine(): string {
    return this.lines()[this.row] ?? "";
  }
}
