/** Raw terminal input, turned into editing keys. Unknown escape sequences are dropped whole. */

export type Key =
  | { kind: "text"; text: string }
  | {
      kind:
        | "enter"
        | "backspace"
        | "delete"
        | "left"
        | "right"
        | "home"
        | "end"
        | "kill-line"
        | "kill-word"
        | "redraw"
        | "interrupt"
        | "eof";
    };

type EditKind = Exclude<Key, { kind: "text" }>["kind"];

const CONTROL: Record<string, EditKind> = {
  "\r": "enter",
  "\n": "enter",
  "\x7f": "backspace",
  "\b": "backspace",
  "\x01": "home",
  "\x05": "end",
  "\x02": "left",
  "\x06": "right",
  "\x15": "kill-line",
  "\x17": "kill-word",
  "\x0c": "redraw",
  "\x03": "interrupt",
  "\x04": "eof",
};

const CSI: Record<string, EditKind> = {
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  "1~": "home",
  "7~": "home",
  "4~": "end",
  "8~": "end",
  "3~": "delete",
};

export function parseKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  let text = "";
  const flush = () => {
    if (text) keys.push({ kind: "text", text });
    text = "";
  };
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i] as string;
    if (c === "\x1b") {
      flush();
      const next = chunk[i + 1];
      if (next !== "[" && next !== "O") continue; // a lone Escape, or Alt+key: ignored
      let j = i + 2;
      while (j < chunk.length && !/[@-~]/.test(chunk[j] as string)) j++;
      const body = chunk.slice(i + 2, j + 1);
      // "3~" or "3;5~" (with modifiers) name a key by number; "C" or "1;5C" by the final letter.
      const kind = body.endsWith("~")
        ? CSI[`${body.split(";")[0]?.replace("~", "")}~`]
        : CSI[body.slice(-1)];
      if (kind) keys.push({ kind });
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
