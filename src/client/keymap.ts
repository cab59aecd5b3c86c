/**
 * The chat view's keys, as one table: each editing key names an action, and each action is a
 * function of what it may touch (the editor, the line to run, the view's end). Typed text is not
 * in the table: it is inserted as it comes.
 */
import type { Key } from "./keys.ts";
import type { LineEditor } from "./line-editor.ts";

export type KeyKind = Exclude<Key, { kind: "text" }>["kind"];

/** What a key action may do to the view. */
export interface KeyTarget {
  editor: LineEditor;
  /** Enter: the line is taken from the editor and run (a command) or sent. */
  submit(line: string): void;
  quit(): void;
}

export type KeyAction = (t: KeyTarget) => void;

export const KEYMAP: Record<KeyKind, KeyAction> = {
  enter: (t) => t.submit(t.editor.take()),
  backspace: (t) => t.editor.backspace(),
  delete: (t) => t.editor.deleteForward(),
  left: (t) => t.editor.left(),
  right: (t) => t.editor.right(),
  home: (t) => t.editor.home(),
  end: (t) => t.editor.end(),
  "kill-line": (t) => t.editor.killToStart(),
  "kill-word": (t) => t.editor.killWord(),
  redraw: () => {},
  interrupt: (t) => t.quit(),
  // Ctrl-D quits on an empty line, and deletes forward otherwise, as in a shell.
  eof: (t) => (t.editor.isEmpty ? t.quit() : t.editor.deleteForward()),
};
