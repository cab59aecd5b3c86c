/**
 * What the keys in keymap.ts do to a chat view: Enter runs or sends the line (a multi-line text
 * is always a message, never a command; text over the limit stays in the input), Up/Down recall
 * this buffer's input, Tab completes, PageUp/PageDown scroll (fetching history at the top), and
 * the buffer keys switch buffers. A paste is inserted as text, never run.
 */
import { messageLength } from "../protocol/index.ts";
import type { Command } from "./chat-command.ts";
import type { ChatState } from "./chat-state.ts";
import { Completer } from "./completion.ts";
import { scrollDetached, toLatest } from "./history-view.ts";
import type { KeyTarget } from "./keymap.ts";
import { enterConversation, HISTORY_DEFAULT, showHistory } from "./room-commands.ts";
import { graphemes } from "./text-layout.ts";

/** Above this many lines, a paste is announced: it is still one message, sent only on Enter. */
export const PASTE_ANNOUNCE_LINES = 5;

export interface ViewKeys extends KeyTarget {
  /** Any key but Tab ends a completion cycle. */
  keyPressed(kind: string): void;
  paste(text: string): void;
  toBuffer(index: number): void;
}

export function keyActions(
  s: ChatState,
  commands: Record<string, Command>,
  run: (line: string) => Promise<void>,
  quit: () => void,
): ViewKeys {
  const { editor, screen } = s;
  const completer = new Completer();
  const show = (index: number | undefined) => {
    const b = index === undefined ? undefined : s.buffers.at(index);
    if (b && b !== s.buffers.current) void enterConversation(s, b.label);
  };
  return {
    editor,
    quit,
    keyPressed(kind) {
      if (kind !== "tab") completer.reset();
    },
    submit() {
      const text = editor.text;
      const limit = s.conn.limits?.maxMessageChars ?? 4000;
      const command = !text.includes("\n") && /^\s*\/(?!\/)/.test(text);
      if (!command && messageLength(text) > limit) {
        // Refused before it is sent, and kept: nothing typed is lost.
        s.note(
          `That is ${messageLength(text)} characters; a message holds ${limit}. Shorten it (it is still in the input) and press Enter again.`,
          "warn",
        );
        return;
      }
      editor.take();
      const b = s.buffers.current;
      // Older history on screen: a message, or a command's answer, goes to the latest lines, so
      // they come back (but for another /jump or /original, which opens a window of its own).
      if (b?.detached && !/^\s*\/(jump|original)\b/.test(text)) toLatest(s, b);
      s.buffers.current?.history.add(text);
      s.remember();
      void run(text);
    },
    recall(direction) {
      const h = s.buffers.current?.history;
      const line = direction < 0 ? h?.previous(editor.text) : h?.next();
      if (line !== undefined) editor.set(line);
    },
    complete() {
      const b = s.buffers.current;
      const me = s.conn.user?.name;
      const nicks = [
        ...[...(b?.nicks ?? [])].reverse(),
        ...s.buffers.all.flatMap((x) => (x === b ? [] : [...x.nicks].reverse())),
      ].filter((n) => n !== me);
      const found = completer.next(editor.beforeCursor, {
        commands: Object.keys(commands),
        nicks,
        conversations: s.buffers.all.map((x) => x.label),
      });
      if (found) editor.replaceBeforeCursor(graphemes(found.replace).length, found.with);
    },
    scroll(pages) {
      const b = s.buffers.current;
      if (!b) return;
      if (b.detached) {
        void scrollDetached(s, b, pages)
          .catch((err) => s.note(`Could not load the history: ${(err as Error).message}`, "error"))
          .then(() => screen.render());
        return;
      }
      const page = Math.max(1, screen.logRows - 2);
      const top = Math.max(0, b.lineCount(screen.columns) - screen.logRows + 1);
      if (pages < 0) {
        b.scroll = Math.max(0, b.scroll - page);
        return;
      }
      b.scroll = Math.min(top, b.scroll + page);
      // At the top of what is here: fetch the page before it from the server.
      if (b.scroll >= top && !b.atBeginning && s.conn.state === "open") {
        void showHistory(s, HISTORY_DEFAULT * 2, { quiet: true }).then(() => screen.render());
      }
    },
    switchBy(step) {
      const b = s.buffers.step(step);
      if (b) show(s.buffers.all.indexOf(b));
    },
    toBuffer(index) {
      show(index);
    },
    paste(text) {
      // Pasted line ends become newlines in one message; other controls are dropped.
      const clean = text
        .replace(/\r\n?/g, "\n")
        .replace(/\t/g, "  ")
        // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
        .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, "")
        .replace(/\n+$/, "");
      editor.insert(clean);
      const lines = clean.split("\n").length;
      if (lines > PASTE_ANNOUNCE_LINES) {
        s.note(
          `Pasted ${lines} lines into the input: Enter sends them as one message, Ctrl-U clears them.`,
        );
      }
    },
  };
}
