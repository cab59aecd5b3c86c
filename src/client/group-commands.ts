/**
 * Encrypted groups in the terminal (docs/e2ee.md section 12): /group create NAME USER…,
 * /group add USER…, /group remove USER…, /group admins USER…, /group leave and /group (the
 * members), in the group's buffer ("&name"). Files are shared there with /upload, as in a DM. Group messages and membership changes come from the shared SecureGroups;
 * each change is said in the group's buffer ("alice added carol"), and a version the server
 * forged or replayed is said as rejected, loudly.
 */
import { safeName } from "../client-core/display-text.ts";
import { SecureGroups } from "../client-core/secure-group.ts";
import type { Command } from "./chat-command.ts";
import type { ChatState } from "./chat-state.ts";
import { enterConversation } from "./room-commands.ts";

/** Sets up the view's SecureGroups (when encryption is); chat-view.ts attaches the groups. */
export function startGroups(s: ChatState): void {
  if (!s.secure) return;
  const groups = new SecureGroups({ conn: s.conn, dm: s.secure });
  s.groups = groups;
  s.onCleanup(
    groups.on("message", (m, content) => s.show(m, content)),
    groups.on("membership", (c) => {
      const b = s.bufferFor(c.room) ?? s.buffers.current;
      s.note(c.text, c.outcome === "accepted" ? "info" : "error", b);
      s.screen.render();
    }),
    () => groups.close(),
  );
}

const GROUP_USAGE = "/group [create NAME USER… | add USER… | remove USER… | admins USER… | leave]";

export function groupCommands(s: ChatState): Record<string, Command> {
  const note = s.note.bind(s);
  /** The group on screen, or a note saying one must be. */
  const here = (): number | undefined => {
    const c = s.current;
    if (c.kind === "group" && c.id !== undefined) return c.id;
    note("Go to a group's buffer first (&NAME), or /group create NAME USER….", "warn");
    return undefined;
  };
  return {
    group: {
      usage: GROUP_USAGE,
      help: "end-to-end encrypted groups: create, add, remove, name the admins, leave, list the members",
      online: true,
      async run(arg) {
        const groups = s.groups;
        if (!groups) return note("Encryption is not set up on this device: no groups.", "error");
        const [verb = "", ...rest] = arg.trim().split(/\s+/).filter(Boolean);
        const users = rest.map((u) => u.replace(/^@/, ""));
        switch (verb.toLowerCase()) {
          case "create": {
            const [name, ...members] = users;
            if (!name) return note(`Usage: ${GROUP_USAGE}`, "warn");
            const room = await groups.create(name, members);
            await enterConversation(s, `&${room.name}`);
            return note(`Created the group &${safeName(room.name)}.`, "ok");
          }
          case "add":
          case "remove": {
            const room = here();
            if (room === undefined) return;
            if (users.length === 0) return note(`Usage: /group ${verb} USER…`, "warn");
            await (verb === "add" ? groups.add(room, users) : groups.remove(room, users));
            return;
          }
          case "admins": {
            const room = here();
            if (room === undefined) return;
            if (users.length === 0) return note("Usage: /group admins USER…", "warn");
            await groups.setAdmins(room, users);
            return;
          }
          case "leave": {
            const room = here();
            if (room === undefined) return;
            await groups.leave(room);
            return note("You left the group: its members no longer seal for you.", "ok");
          }
          case "": {
            const room = here();
            if (room === undefined) return;
            const members = (await groups.members(room)) ?? [];
            const admins = new Set((await groups.admins(room)) ?? []);
            const names = members.map(
              (u) => `${safeName(groups.nameOf(u))}${admins.has(u) ? " (admin)" : ""}`,
            );
            return note(`Members (${names.length}): ${names.join(", ")}`, "info");
          }
          default:
            return note(`Usage: ${GROUP_USAGE}`, "warn");
        }
      },
    },
  };
}
