/**
 * The chat commands that act on messages: /edit, /delete, /remove (a moderator's
 * delete of anyone's message), /reply, /react and /reactions
 * (/search is search-commands.ts). A message is named by "^N", the Nth newest in the buffer on
 * screen (for /edit and /delete, the Nth newest of your own); without it, the newest. Changes are events of the room's
 * log (docs/protocol.md 4.8): they come back to every client, this one included, as events. In
 * a DM or a group they are sealed end to end like its messages (sealed-changes.ts).
 */

import { escapeControls } from "../client-core/display-text.ts";
import { hasReacted } from "../client-core/message-state.ts";
import { type MessageChangeRequest, SealedChanges } from "../client-core/sealed-changes.ts";
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

export function messageCommands(s: ChatState): Record<string, Command> {
  const note = s.note.bind(s);
  // DMs' and groups' changes are sealed (sealed-changes.ts), and shown once opened, in order
  // with the messages.
  const secure = s.secure;
  const dm = secure
    ? new SealedChanges(
        s.conn,
        { dm: secure, groups: s.groups },
        {
          change: (e, content) => s.change(e, content),
          problem: (text) => note(text, "warn"),
        },
      )
    : undefined;
  if (dm) s.onCleanup(() => dm.close());
  /** The room on screen and the message named, or a note saying why not. */
  const pick = (
    arg: string,
    own: boolean,
  ): { room: number; m: Message; rest: string; dm: boolean; group: boolean } | undefined => {
    const b = s.buffers.current;
    if (!b || b.id === undefined) return void note("Open a room first.", "warn");
    const sealed = b.kind === "dm" || b.kind === "group";
    if (sealed && !dm) return void note("Encryption is not set up on this device.", "warn");
    const { n, rest } = reference(arg);
    const m = b.recent(n, own ? s.conn.user?.id : undefined);
    if (!m)
      return void note(own ? "You have no such message here." : "No such message here.", "warn");
    return { room: b.id, m, rest, dm: sealed, group: b.kind === "group" };
  };
  const failed = (what: string) => (err: unknown) =>
    note(`Could not ${what}: ${(err as Error).message}`, "error");
  /** A change to the message picked: sealed in a DM or a group, plain in a room. */
  const change = (p: { room: number; dm: boolean }, c: MessageChangeRequest): Promise<unknown> =>
    p.dm && dm ? dm.send(p.room, c) : s.conn.change(p.room, c);

  return {
    edit: {
      usage: "/edit [^N] TEXT",
      help: "replace the text of your newest (or Nth newest) message here",
      online: true,
      async run(arg) {
        const p = pick(arg, true);
        if (!p) return;
        if (p.rest === "") return note("Usage: /edit [^N] TEXT", "warn");
        await change(p, { kind: "edit", target: p.m.seq, body: p.rest }).catch(failed("edit"));
      },
    },
    delete: {
      usage: "/delete [^N]",
      help: "delete your newest (or Nth newest) message here, for everyone",
      online: true,
      async run(arg) {
        const p = pick(arg, true);
        if (!p) return;
        await change(p, { kind: "delete", target: p.m.seq }).catch(failed("delete"));
      },
    },
    remove: {
      usage: "/remove [^N]",
      help: "moderators: delete the newest (or Nth newest) message here, anyone's, for everyone",
      online: true,
      async run(arg) {
        const p = pick(arg, false);
        if (!p) return;
        await change(p, { kind: "delete", target: p.m.seq }).catch(failed("remove"));
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
        if (p.group) s.groups?.send(p.room, p.rest, undefined, p.m.seq);
        else if (p.dm) secure?.send(p.room, p.rest, undefined, p.m.seq);
        else s.conn.send(p.room, p.rest, { reply: p.m.seq });
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
        await change(p, { kind: "react", target: p.m.seq, emoji, on }).catch(failed("react"));
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
  };
}
