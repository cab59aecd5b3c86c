/**
 * Raw terminal input, turned into editing keys. Unknown escape sequences are dropped whole. A
 * bracketed paste (ESC[200~ … ESC[201~) comes out as one "paste" key holding its text, however
 * many chunks it arrives in, so nothing pasted is ever read as Enter or as a command.
 */

export type Key =
  | { kind: "text"; text: string }
  | { kind: "paste"; text: string }
  | { kind: "buffer"; index: number }
  | {
      kind:
        | "enter"
        | "newline"
        | "backspace"
        | "delete"
        | "left"
        | "right"
        | "word-left"
        | "word-right"
        | "home"
        | "end"
        | "up"
        | "down"
        | "page-up"
        | "page-down"
        | "tab"
        | "kill-line"
        | "kill-to-end"
        | "kill-word"
        | "yank"
        | "next-buffer"
        | "previous-buffer"
        | "redraw"
        | "interrupt"
        | "eof";
    };

export type EditKind = Exclude<Key, { kind: "text" | "paste" | "buffer" }>["kind"];

const CONTROL: Record<string, EditKind> = {
  "\r": "enter",
  "\n": "enter",
  "\t": "tab",
  "\x7f": "backspace",
  "\b": "backspace",
  "\x01": "home",
  "\x05": "end",
  "\x02": "left",
  "\x06": "right",
  "\x0b": "kill-to-end",
  "\x0e": "next-buffer",
  "\x10": "previous-buffer",
  "\x15": "kill-line",
  "\x17": "kill-word",
  "\x19": "yank",
  "\x0c": "redraw",
  "\x03": "interrupt",
  "\x04": "eof",
};

/** Alt+key arrives as ESC then the key. */
const ALT: Record<string, EditKind> = {
  b: "word-left",
  f: "word-right",
  "\r": "newline",
  "\n": "newline",
};

const CSI: Record<string, EditKind> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  "1~": "home",
  "7~": "home",
  "4~": "end",
  "8~": "end",
  "3~": "delete",
  "5~": "page-up",
  "6~": "page-down",
};

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

/** A CSI sequence's key: "C" or "1;3C" by the final letter, "5~" or "5;5~" by number. */
function csiKey(body: string): Key | undefined {
  const [first = "", modifier] = body.slice(0, -1).split(";");
  // Alt (3) or Ctrl (5) with Left/Right moves between buffers, as in weechat and irssi.
  if ((modifier === "3" || modifier === "5") && /[CD]$/.test(body) && first === "1") {
    if (modifier === "3") return { kind: body.endsWith("C") ? "next-buffer" : "previous-buffer" };
    return { kind: body.endsWith("C") ? "word-right" : "word-left" };
  }
  // Shift-Enter where the terminal reports it (CSI 13;2u, or xterm's 27;2;13~).
  if (body === "13;2u" || body === "27;2;13~") return { kind: "newline" };
  const kind = body.endsWith("~") ? CSI[`${first}~`] : CSI[body.slice(-1)];
  return kind ? { kind } : undefined;
}

export class KeyReader {
  /** Text of a paste still arriving; undefined outside a paste. */
  private pasting: string | undefined;
  /** The end of a chunk that may be the start of an escape sequence cut in two. */
  private partial = "";

  feed(chunk: string): Key[] {
    // A terminal without bracketed paste still delivers a paste in one chunk: text, a line end,
    // more text. Typing never does (Enter ends its chunk), so such a chunk is read as a paste.
    if (
      this.pasting === undefined &&
      this.partial === "" &&
      /[\r\n][^\r\n]/.test(chunk) &&
      !chunk.includes("\x1b")
    ) {
      const printable = chunk.replace(/[\r\n]+$/, "");
      if (/[^\p{Cc}]/u.test(printable)) return [{ kind: "paste", text: printable }];
    }
    let data = this.partial + chunk;
    this.partial = "";
    const keys: Key[] = [];
    let text = "";
    const flush = () => {
      if (text) keys.push({ kind: "text", text });
      text = "";
    };
    for (let i = 0; i < data.length; i++) {
      if (this.pasting !== undefined) {
        const end = data.indexOf(PASTE_END, i);
        if (end < 0) {
          // Keep a possible start of the end marker for the next chunk.
          const keep = data.length - i >= PASTE_END.length ? PASTE_END.length - 1 : data.length - i;
          this.pasting += data.slice(i, data.length - keep);
          this.partial = data.slice(data.length - keep);
          data = "";
          break;
        }
        keys.push({ kind: "paste", text: this.pasting + data.slice(i, end) });
        this.pasting = undefined;
        i = end + PASTE_END.length - 1;
        continue;
      }
      const c = data[i] as string;
      if (c === "\x1b") {
        flush();
        const next = data[i + 1];
        if (next === undefined) {
          this.partial = c; // a lone ESC at the end: maybe the start of a sequence
          break;
        }
        if (data.startsWith(PASTE_START, i)) {
          this.pasting = "";
          i += PASTE_START.length - 1;
          continue;
        }
        if (next !== "[" && next !== "O") {
          // Alt+key: a digit picks a buffer, a few letters edit; the rest is ignored.
          if (/[1-9]/.test(next)) keys.push({ kind: "buffer", index: Number(next) - 1 });
          else if (next === "\x1b" && data[i + 2] === "[")
            continue; // ESC ESC [ D: Alt-Left
          else {
            const alt = ALT[next];
            if (alt) keys.push({ kind: alt });
          }
          i++;
          continue;
        }
        let j = i + 2;
        while (j < data.length && !/[@-~]/.test(data[j] as string)) j++;
        if (j >= data.length) {
          if (PASTE_START.startsWith(data.slice(i)) || j - i < 12) {
            this.partial = data.slice(i); // cut in two: finish it with the next chunk
          }
          break;
        }
        const key = csiKey(data.slice(i + 2, j + 1));
        // ESC ESC [ C / D (Alt-Right/Left on some terminals) arrives as a plain arrow after ESC.
        const altArrow = data[i - 1] === "\x1b" && /[CD]/.test(data[j] as string) && j === i + 2;
        if (altArrow) keys.push({ kind: data[j] === "C" ? "next-buffer" : "previous-buffer" });
        else if (key) keys.push(key);
        i = j;
        continue;
      }
      const control = CONTROL[c];
      if (control) {
        flush();
        keys.push({ kind: control });
        continue;
      }
      if (c < " ") continue; // other control characters would corrupt the screen
      text += c;
    }
    flush();
    return keys;
  }
}

/** Keys in one self-contained chunk (no paste or sequence continues past it). */
export function parseKeys(chunk: string): Key[] {
  return new KeyReader().feed(chunk);
}
