/**
 * Reports in the terminal: /report [^N] REASON sends the room's newest (or Nth newest) message
 * to its moderators; moderators list the open reports with /reports and close one with
 * /resolve ID WHAT-WAS-DONE. The server checks every right (docs/protocol.md, Reports).
 */
import type { ReportsApi } from "../client-core/reports-api.ts";
import type { Command } from "./chat-command.ts";
import type { ChatState } from "./chat-state.ts";

export function reportCommands(s: ChatState, reports?: ReportsApi): Record<string, Command> {
  const note = s.note.bind(s);
  /** The room on screen, or a note saying why there is none to report in. */
  const room = (): number | undefined => {
    const b = s.buffers.current;
    if (!b || b.id === undefined) return void note("Open a room first.", "warn");
    if (b.kind === "dm") {
      return void note("A private conversation has no moderators to report to.", "warn");
    }
    if (!reports) return void note("Reports are not available here.", "warn");
    return b.id;
  };
  return {
    report: {
      usage: "/report [^N] REASON",
      help: "report the newest (or Nth newest) message here to the room's moderators",
      online: true,
      async run(arg) {
        const id = room();
        if (id === undefined || !reports) return;
        const ref = /^\^(\d{1,4})(?:\s+|$)/.exec(arg.trim());
        const reason = ref ? arg.trim().slice(ref[0].length) : arg.trim();
        if (!reason) return note("Say why: /report [^N] REASON", "warn");
        const m = s.buffers.current?.recent(ref ? Number(ref[1]) : 1);
        if (!m) return note("No such message here.", "warn");
        await reports.report(id, m.seq, reason);
        note(`Reported ${m.from.name}'s message to the moderators.`, "ok");
      },
    },
    reports: {
      usage: "/reports",
      help: "moderators: the open reports in this room",
      online: true,
      async run() {
        const id = room();
        if (id === undefined || !reports) return;
        const open = await reports.list(id);
        if (open.length === 0) return note("No open reports here.");
        const b = s.buffers.current;
        s.print(
          [
            `Open reports (/resolve ID WHAT-WAS-DONE):`,
            ...open.map((r) => {
              const m = b?.messages.get(r.seq);
              const what = m ? ` ${m.from.name}: "${m.body.slice(0, 60)}"` : ` message ${r.seq}`;
              const by = r.reporter ? ` by ${r.reporter.name}` : "";
              return `  ${r.id}.${what}, reported${by}: ${r.reason}`;
            }),
          ],
          s.style.dim,
        );
      },
    },
    resolve: {
      usage: "/resolve ID WHAT-WAS-DONE",
      help: "moderators: close an open report, saying what was done",
      online: true,
      async run(arg) {
        const id = room();
        if (id === undefined || !reports) return;
        const m = /^(\d{1,12})\s+(.+)$/s.exec(arg.trim());
        if (!m) return note("Usage: /resolve ID WHAT-WAS-DONE", "warn");
        await reports.resolve(id, Number(m[1]), m[2] as string);
        note(`Report ${m[1]} resolved.`, "ok");
      },
    },
  };
}
