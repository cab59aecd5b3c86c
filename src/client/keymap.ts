/**
 * The chat view's keys, as one table: each editing key names an action on what a key may touch
 * (the editor, the line to run, history, completion, scrolling, buffers). Typed text, pastes and
 * Alt-digits carry data and are handled by the view; docs/client.md lists every binding.
 */
import type { EditKind } from "./keys.ts";
import type { LineEditor } from "./line-editor.ts";

/** What a key action may do to the view. */
export interface KeyTarget {
  editor: LineEditor;
  /** Enter: the line is run (a command) or sent; text over the limit stays in the editor. */
  submit(): void;
  /** Up/Down: this buffer's earlier input. */
  recall(direction: -1 | 1): void;
  /** Tab: complete the word before the cursor (again: the next candidate). */
  complete(): void;
  /** PageUp/PageDown: scroll this buffer by pages (fetching history at the top). */
  scroll(pages: number): void;
  /** Ctrl-N/P, Alt-Left/Right: the next or previous buffer. */
  switchBy(step: number): void;
  quit(): void;
}

export type KeyAction = (t: KeyTarget) => void;

export const KEYMAP: Record<EditKind, KeyAction> = {
  enter: (t) => t.submit(),
  newline: (t) => t.editor.insert("\n"),
  backspace: (t) => t.editor.backspace(),
  delete: (t) => t.editor.deleteForward(),
  left: (t) => t.editor.left(),
  right: (t) => t.editor.right(),
  "word-left": (t) => t.editor.wordLeft(),
  "word-right": (t) => t.editor.wordRight(),
  home: (t) => t.editor.home(),
  end: (t) => t.editor.end(),
  up: (t) => t.recall(-1),
  down: (t) => t.recall(1),
  "page-up": (t) => t.scroll(1),
  "page-down": (t) => t.scroll(-1),
  tab: (t) => t.complete(),
  "kill-line": (t) => t.editor.killToStart(),
  "kill-to-end": (t) => t.editor.killToEnd(),
  "kill-word": (t) => t.editor.killWord(),
  yank: (t) => t.editor.yank(),
  "next-buffer": (t) => t.switchBy(1),
  "previous-buffer": (t) => t.switchBy(-1),
  redraw: () => {},
  interrupt: (t) => t.quit(),
  // Ctrl-D quits on an empty line, and deletes forward otherwise, as in a shell.
  eof: (t) => (t.editor.isEmpty ? t.quit() : t.editor.deleteForward()),
};
