/**
 * The chat commands that act on messages: /edit, /delete, /remove (a moderator's delete of
 * anyone's message), /reply, /react, /reactions and /search. A message is named by "^N", the Nth newest in the buffer on screen (for /edit and
 * /delete, the Nth newest of your own); without it, the newest. Changes are events of the room's
 * log (docs/protocol.md 4.8): they come back to every client, this one included, as events.
 */

import { escapeControls } from "../client-core/display-text.ts";
import type { Searcher } from "../client-core/message-search.ts";
import { hasReacted } from "../client-core/message-state.ts";
import type { Message } from "../protocol/index.ts";
import type { Command } from "./chat-command.ts";
import type { ChatState } from "./chat-state.ts";
import { EMOJI } from "./completion.ts";
import { sanitize } from "./text-layout.ts";

/** Splits "^3 rest" into 3 and "rest"; no "^N" is 1. */
function reference(arg: string): { n: number; rest: string } {
  const m = /^\^(\d{1,4})(?:\s+|$)/.exec(arg.trim());
  return m ? { n: Number(m[1]), rest: arg.trim().slice(m[0].length) } : { n: 1, rest: arg.trim() };
}

function clock(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

export function messageCommands(s: ChatState, search?: Searcher): Record<string, Command> {
  const note = s.note.bind(s);
  /** The room on screen and the message named, or a note saying why not. */
  const pick = (
    arg: string,
    own: boolean,
  ): { room: number; m: Message; rest: string } | undefined => {
    const b = s.buffers.current;
    if (!b || b.id === undefined) return void note("Open a room first.", "warn");
    if (b.kind === "dm") {
      return void note(
        "Editing, deleting, replying and reacting work in rooms; not yet in DMs.",
        "warn",
      );
    }
    const { n, rest } = reference(arg);
    const m = b.recent(n, own ? s.conn.user?.id : undefined);
    if (!m)
      return void note(own ? "You have no such message here." : "No such message here.", "warn");
    return { room: b.id, m, rest };
  };
  const failed = (what: string) => (err: unknown) =>
    note(`Could not ${what}: ${(err as Error).message}`, "error");

  return {
    edit: {
      usage: "/edit [^N] TEXT",
      help: "replace the text of your newest (or Nth newest) message here",
      online: true,
      async run(arg) {
        const p = pick(arg, true);
        if (!p) return;
        if (p.rest === "") return note("Usage: /edit [^N] TEXT", "warn");
        await s.conn
          .change(p.room, { kind: "edit", target: p.m.seq, body: p.rest })
          .catch(failed("edit"));
      },
    },
    delete: {
      usage: "/delete [^N]",
      help: "delete your newest (or Nth newest) message here, for everyone",
      online: true,
      async run(arg) {
        const p = pick(arg, true);
        if (!p) return;
        await s.conn.change(p.room, { kind: "delete", target: p.m.seq }).catch(failed("delete"));
      },
    },
    remove: {
      usage: "/remove [^N]",
      help: "moderators: delete the newest (or Nth newest) message here, anyone's, for everyone",
      online: true,
      async run(arg) {
        const p = pick(arg, false);
        if (!p) return;
        await s.conn.change(p.room, { kind: "delete", target: p.m.seq }).catch(failed("remove"));
      },
    },
    reply: {
      usage: "/reply [^N] TEXT",
      help: "answer the newest (or Nth newest) message here, quoting it",
      online: false,
      run(arg) {
        const p = pick(arg, false);
        if (!p) return;
        if (p.rest === "") return note("Usage: /reply [^N] TEXT", "warn");
        s.conn.send(p.room, p.rest, { reply: p.m.seq });
        s.refreshPending();
        s.screen.render();
      },
    },
    react: {
      usage: "/react [^N] EMOJI",
      help: "add (or take back) a reaction to the newest (or Nth newest) message",
      online: true,
      async run(arg) {
        const p = pick(arg, false);
        if (!p) return;
        const word = p.rest.trim();
        const emoji = EMOJI[word.replace(/^:|:$/g, "")] ?? word;
        if (emoji === "") return note("Usage: /react [^N] EMOJI (or :tada:, :+1: …)", "warn");
        const on = !hasReacted(p.m, emoji, s.conn.user?.id ?? 0);
        await s.conn
          .change(p.room, { kind: "react", target: p.m.seq, emoji, on })
          .catch(failed("react"));
      },
    },
    reactions: {
      usage: "/reactions [^N]",
      help: "who reacted to the newest (or Nth newest) message, with what",
      online: false,
      run(arg) {
        const p = pick(arg, false);
        if (!p) return;
        const rows = (p.m.reactions ?? []).map(
          (r) => `  ${escapeControls(r.emoji)} ${r.users.map((u) => sanitize(u.name)).join(", ")}`,
        );
        s.print(rows.length > 0 ? ["Reactions:", ...rows] : ["No reactions."], s.style.dim);
      },
    },
    search: {
      usage: "/search TEXT",
      help: "find messages in your public rooms (DMs are encrypted: not searchable)",
      online: true,
      async run(arg) {
        if (!search) return note("Search is not available here.", "warn");
        const q = arg.trim();
        if (q === "") return note("Usage: /search TEXT", "warn");
        try {
          const page = await search(q);
          if (page.results.length === 0) return note(`Nothing found for “${escapeControls(q)}”.`);
          const rows = page.results.map((h) => {
            const room = s.tracked(h.room)?.name ?? String(h.room);
            const text = escapeControls(h.snippet.replace(/\s+/g, " "));
            return `  #${sanitize(room)} ${clock(h.ts)} ${sanitize(h.from.name)}: ${text}`;
          });
          s.print([`Found for “${escapeControls(q)}” (newest first):`, ...rows]);
        } catch (err) {
          failed("search")(err);
        }
      },
    },
  };
}
