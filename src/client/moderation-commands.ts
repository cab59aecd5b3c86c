/**
 * The chat commands of room roles and moderation: /who with roles, /kick /ban /unban /mute
 * /unmute /op /deop /topic /rename /archive /audit, and invite codes (/invite makes one, /accept uses one). The server
 * checks every right; a refusal comes back as its coded message.
 */
import type { ClientFrameOf } from "../protocol/index.ts";
import type { ChatContext, Command } from "./chat-command.ts";
import { invitationCommands } from "./invitation-commands.ts";

type Action = ClientFrameOf<"moderate">["action"];

/** "10m", "2h", "3d" or a number of seconds: a ban's or mute's length. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(text);
  if (!match) return undefined;
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  const seconds = Number(match[1]) * unit;
  return seconds >= 1 && seconds <= 366 * 86_400 ? seconds : undefined;
}

const ACTIONS: { name: string; action: Action; usage: string; help: string; timed: boolean }[] = [
  {
    name: "kick",
    action: "kick",
    usage: "/kick NAME [REASON]",
    help: "remove someone from this room (they may come back)",
    timed: false,
  },
  {
    name: "ban",
    action: "ban",
    usage: "/ban NAME [DURATION] [REASON]",
    help: "remove and keep someone out (10m, 2h, 3d; for good without)",
    timed: true,
  },
  {
    name: "unban",
    action: "unban",
    usage: "/unban NAME",
    help: "let a banned person back",
    timed: false,
  },
  {
    name: "mute",
    action: "mute",
    usage: "/mute NAME [DURATION] [REASON]",
    help: "let someone read but not send (an hour without a duration)",
    timed: true,
  },
  {
    name: "unmute",
    action: "unmute",
    usage: "/unmute NAME",
    help: "let a muted person send again",
    timed: false,
  },
  {
    name: "op",
    action: "op",
    usage: "/op NAME",
    help: "make a member a moderator (owners)",
    timed: false,
  },
  {
    name: "deop",
    action: "deop",
    usage: "/deop NAME",
    help: "make a moderator a member again (owners)",
    timed: false,
  },
];

export function moderationCommands(ctx: ChatContext): Record<string, Command> {
  const { conn, note } = ctx;
  /** The room on screen, or why there is none to act on. */
  const room = (): number | undefined => {
    const here = ctx.here();
    if (here.id === undefined || here.kind !== "room") {
      note("Moderation works in a room: switch to one first.", "warn");
      return undefined;
    }
    return here.id;
  };
  const commands: Record<string, Command> = {};
  for (const a of ACTIONS) {
    commands[a.name] = {
      usage: a.usage,
      help: a.help,
      online: true,
      async run(arg) {
        const id = room();
        if (id === undefined) return;
        const [user, ...rest] = arg.trim().split(/\s+/).filter(Boolean);
        if (!user) return note(`Usage: ${a.usage}`, "warn");
        const seconds = a.timed && rest[0] ? parseDuration(rest[0]) : undefined;
        if (seconds !== undefined) rest.shift();
        const reason = rest.join(" ");
        await conn.request<"ok">({
          type: "moderate",
          room: id,
          action: a.action,
          user,
          ...(seconds !== undefined ? { seconds } : {}),
          ...(reason ? { reason } : {}),
        });
        note(`Done: ${a.name} ${user}.`, "ok");
      },
    };
  }
  commands.topic = {
    usage: "/topic TEXT",
    help: "set this room's topic (moderators)",
    online: true,
    async run(arg) {
      const id = room();
      if (id === undefined) return;
      await conn.request<"ok">({ type: "topic", room: id, topic: arg.trim() });
      note("Topic set.", "ok");
    },
  };
  commands.rename = {
    usage: "/rename NAME",
    help: "rename this room (its owner or a server admin)",
    online: true,
    async run(arg) {
      const id = room();
      if (id === undefined) return;
      const name = arg.trim().replace(/^#/, "");
      if (!name) return note("Usage: /rename NAME", "warn");
      await conn.request<"ok">({ type: "rename_room", room: id, name });
      note(`Room renamed to #${name}.`, "ok");
    },
  };
  commands.archive = {
    usage: "/archive",
    help: "archive this room for good: read-only for everyone (its owner or a server admin)",
    online: true,
    async run() {
      const id = room();
      if (id === undefined) return;
      await conn.request<"ok">({ type: "archive_room", room: id });
      note("Room archived: it can be read, not written.", "ok");
    },
  };
  commands.invite = {
    usage: "/invite [USES] [DURATION]",
    help: "make an invite code to this room (moderators); /accept CODE joins with one",
    online: true,
    async run(arg) {
      const id = room();
      if (id === undefined) return;
      const [uses, lasting] = arg.trim().split(/\s+/).filter(Boolean);
      const seconds = lasting === undefined ? undefined : parseDuration(lasting);
      if (lasting !== undefined && seconds === undefined) {
        return note("DURATION is like 30m, 12h or 7d.", "warn");
      }
      const reply = await conn.request<"invite">({
        type: "invite_create",
        room: id,
        ...(uses !== undefined ? { uses: Number(uses) } : {}),
        ...(seconds !== undefined ? { seconds } : {}),
      });
      const i = reply.invite;
      note(
        `Invite code: ${i.code} (${i.maxUses} ${i.maxUses === 1 ? "use" : "uses"}, until ${new Date(i.expiresAt).toLocaleString()}). They type /accept ${i.code}`,
        "ok",
      );
    },
  };
  commands.accept = {
    usage: "/accept CODE",
    help: "join a room with an invite code",
    online: true,
    async run(arg) {
      const code = arg.trim();
      if (!code) return note("Usage: /accept CODE", "warn");
      const joined = await conn.request<"joined">({ type: "invite_redeem", code });
      note(`You joined #${joined.room.name}.`, "ok");
      await ctx.enter(joined.room.name);
    },
  };
  commands.audit = {
    usage: "/audit",
    help: "owners: the room's audit log, newest first (who did what, when, why)",
    online: true,
    async run() {
      const id = room();
      if (id === undefined) return;
      const reply = await conn.request<"audit">({ type: "audit", room: id });
      if (reply.entries.length === 0) return note("Nothing in this room's audit log yet.");
      const lines = reply.entries.slice(0, 30).map((e) => {
        const when = new Date(e.at).toLocaleString();
        const target = e.target ? ` ${e.target.name}` : "";
        return `${when} ${e.actor.name} ${e.action}${target}${e.reason ? ` (${e.reason})` : ""}`;
      });
      note("Audit log of this room, newest first:");
      for (const line of lines) note(line);
    },
  };
  commands.who = {
    usage: "/who",
    help: "who is here: roles, and online, away or offline",
    online: true,
    async run() {
      const here = ctx.here();
      if (here.id === undefined) return;
      const members = await conn.members(here.id);
      const mark = { owner: "~", moderator: "@", member: "" } as const;
      const list = members
        .map((m) => {
          const muted = m.mutedUntil !== undefined ? ", muted" : "";
          return `${m.role ? mark[m.role] : ""}${m.name} (${m.status}${muted}${ctx.blocked.has(m.id) ? ", blocked" : ""})`;
        })
        .join(", ");
      const name = conn.joinedRooms().find((r) => r.id === here.id)?.name;
      const label = here.kind === "dm" ? `@${name ?? "?"}` : `#${name ?? "?"}`;
      note(`Members of ${label}: ${list}${/[~@]/.test(list) ? " (~ owner, @ moderator)" : ""}`);
    },
  };
  return {
    ...commands,
    ...invitationCommands(ctx, { invite: commands.invite, accept: commands.accept }),
  };
}
