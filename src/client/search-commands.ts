/**
 * /search and /jump: the server's search (public rooms the user is in, newest first) listed
 * with numbers, and /jump N opening hit N in context, as the browser's results do: its room on
 * screen and the message in the middle, in a window of history around it when the buffer does
 * not hold it (history-view.ts); /original the same for the message a reply answers; /latest
 * goes back to the newest.
 */
import { escapeControls } from "../client-core/display-text.ts";
import type { Searcher } from "../client-core/message-search.ts";
import type { SearchHit } from "../protocol/index.ts";
import type { Command } from "./chat-command.ts";
import type { ChatState } from "./chat-state.ts";
import { jumpTo, toLatest } from "./history-view.ts";
import { sanitize } from "./text-layout.ts";

function clock(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

export function searchCommands(s: ChatState, search?: Searcher): Record<string, Command> {
  const note = s.note.bind(s);
  let hits: readonly SearchHit[] = [];
  return {
    search: {
      usage: "/search TEXT",
      help: "find messages in your public rooms (DMs are encrypted: not searchable); /jump N opens one",
      online: true,
      async run(arg) {
        if (!search) return note("Search is not available here.", "warn");
        const q = arg.trim();
        if (q === "") return note("Usage: /search TEXT", "warn");
        try {
          const page = await search(q);
          hits = page.results;
          if (hits.length === 0) return note(`Nothing found for “${escapeControls(q)}”.`);
          const rows = hits.map((h, i) => {
            const room = s.tracked(h.room)?.name ?? String(h.room);
            const text = escapeControls(h.snippet.replace(/\s+/g, " "));
            return `  [${i + 1}] #${sanitize(room)} ${clock(h.ts)} ${sanitize(h.from.name)}: ${text}`;
          });
          s.print([`Found for “${escapeControls(q)}” (newest first; /jump N opens one):`, ...rows]);
        } catch (err) {
          note(`Could not search: ${(err as Error).message}`, "error");
        }
      },
    },
    jump: {
      usage: "/jump N",
      help: "open result N of the last /search in its room, with the messages around it",
      online: true,
      async run(arg) {
        // A refusal is said among the latest lines: back to them if older history is shown.
        const refuse = (text: string, tone: "warn" | "error" = "warn") => {
          const here = s.buffers.current;
          if (here?.detached) toLatest(s, here);
          note(text, tone);
        };
        const hit = hits[Number(arg.trim()) - 1];
        if (!hit) return refuse("Usage: /jump N, with N a result of the last /search.");
        const b = s.bufferFor(hit.room);
        if (!b) return refuse("You are not in that room any more.");
        s.select(b);
        try {
          await jumpTo(s, b, hit.seq);
        } catch (err) {
          return refuse(`Could not load the history: ${(err as Error).message}`, "error");
        }
        s.screen.render();
      },
    },
    original: {
      usage: "/original [^N]",
      help: "show the message the newest reply here (or the Nth newest) answers, however far back",
      online: true,
      async run(arg) {
        const b = s.buffers.current;
        if (!b || b.id === undefined) return note("Open a room first.", "warn");
        if (b.kind !== "room") return note("In a private conversation, PageUp to it.", "warn");
        const n = Number(/^\^(\d{1,4})$/.exec(arg.trim())?.[1] ?? 1);
        const replies = [...b.messages.values()]
          .filter((m) => m.reply)
          .sort((x, y) => y.seq - x.seq);
        const seq = replies[n - 1]?.reply?.seq;
        if (seq === undefined) return note("No such reply here.", "warn");
        try {
          await jumpTo(s, b, seq);
        } catch (err) {
          note(`Could not load the history: ${(err as Error).message}`, "error");
        }
      },
    },
    latest: {
      usage: "/latest",
      help: "back to the newest messages after /jump (PageDown to the end does it too)",
      online: false,
      async run() {
        const b = s.buffers.current;
        if (b) toLatest(s, b);
      },
    },
  };
}
