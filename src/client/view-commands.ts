/**
 * The chat commands about the view itself: help, highlight words, the bell, and quit.
 */
import type { Command } from "./chat-command.ts";
import type { ChatState } from "./chat-state.ts";

export function viewCommands(
  s: ChatState,
  all: () => Record<string, Command>,
): Record<string, Command> {
  const note = s.note.bind(s);
  return {
    help: {
      usage: "/help",
      help: "this list (keys: docs/client.md)",
      online: false,
      run() {
        const rows = Object.values(all()).map((c) => `  ${c.usage.padEnd(28)} ${c.help}`);
        const keys = [
          "Keys: Up/Down history · Tab complete · PageUp/PageDown scroll · Alt-1…9, Ctrl-N/P buffers",
          "      Alt-Enter newline · Ctrl-A/E/K/U/W/Y, Alt-B/F edit · Ctrl-C quit",
        ];
        s.print(["Commands:", ...rows, ...keys], s.style.dim);
      },
    },
    highlight: {
      usage: "/highlight [add|remove WORD]",
      help: "words that highlight a message like your name",
      online: false,
      run(arg) {
        const match = /^(add|remove)\s+(\S+)$/.exec(arg.trim());
        const words = s.memory.highlights;
        if (arg.trim() !== "" && !match) {
          return note("Usage: /highlight, /highlight add WORD, /highlight remove WORD", "warn");
        }
        if (match) {
          const [, action, word = ""] = match;
          const at = words.findIndex((w) => w.toLowerCase() === word.toLowerCase());
          if (action === "add" && at < 0) words.push(word);
          if (action === "remove" && at >= 0) words.splice(at, 1);
          s.remember();
        }
        note(
          `Highlighted: your name${words.length > 0 ? `, ${words.join(", ")}` : ""}. The bell is ${s.memory.bell ? "on" : "off"}.`,
        );
      },
    },
    bell: {
      usage: "/bell on|off",
      help: "ring the terminal's bell on a mention",
      online: false,
      run(arg) {
        const v = arg.trim();
        if (v !== "on" && v !== "off") return note("Usage: /bell on, or /bell off", "warn");
        s.memory.bell = v === "on";
        s.remember();
        note(`The bell is ${v} for mentions.`);
      },
    },
    quit: {
      usage: "/quit",
      help: "leave Parley",
      online: false,
      run() {
        s.finish("quit");
      },
    },
  };
}
