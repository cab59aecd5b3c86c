/**
 * Invitations by name in the terminal: /invite NAME (a moderator invites someone; /invite with
 * a number or nothing still makes a code, in moderation-commands.ts), /invites lists one's own,
 * /accept ROOM and /decline ROOM answer one (/accept CODE still redeems a code), and the live
 * `invited` push is said as a note (invitedText).
 */

import { safeName } from "../client-core/display-text.ts";
import type { ServerFrameOf } from "../protocol/index.ts";
import type { ChatContext, Command } from "./chat-command.ts";

type UserInvite = ServerFrameOf<"invited">["invite"];
/** An invite code: 128 random bits, base64url (server/invitations.ts). */
const INVITE_CODE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** What the terminal says when an invitation arrives or is listed. */
export function invitedText(i: UserInvite): string {
  const by = i.by ? ` from ${safeName(i.by.name)}` : "";
  return `Invitation${by} to #${safeName(i.name)} (until ${new Date(i.expiresAt).toLocaleString()}): /accept ${safeName(i.name)} or /decline ${safeName(i.name)}`;
}

/** True when /invite's argument names a user rather than a code's uses. */
export function namesUser(arg: string): boolean {
  const first = arg.trim().split(/\s+/)[0] ?? "";
  return first !== "" && !/^\d+$/.test(first);
}

export function invitationCommands(
  ctx: ChatContext,
  codes: { invite: Command; accept: Command },
): Record<string, Command> {
  const { conn, note } = ctx;
  const mine = async () => (await conn.request<"user_invites">({ type: "user_invites" })).invites;
  const answer = async (arg: string, accept: boolean) => {
    const name = arg.trim().replace(/^#/, "");
    const i = (await mine()).find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!i) return note(`No invitation to #${safeName(name)}: /invites lists yours.`, "warn");
    if (!accept) {
      await conn.request<"ok">({ type: "invite_answer", room: i.room, accept: false });
      return note(`Declined the invitation to #${safeName(i.name)}.`, "ok");
    }
    const joined = await conn.request<"joined">({ type: "invite_answer", room: i.room, accept });
    note(`You joined #${safeName(joined.room.name)}.`, "ok");
    await ctx.enter(joined.room.name);
  };
  return {
    invite: {
      usage: "/invite NAME | /invite [USES] [DURATION]",
      help: "invite someone by name, or make an invite code (moderators)",
      online: true,
      async run(arg) {
        if (!namesUser(arg)) return codes.invite.run(arg);
        const here = ctx.here();
        if (here.id === undefined || here.kind !== "room") {
          return note("Invitations are to a room: switch to one first.", "warn");
        }
        const user = arg.trim().split(/\s+/)[0] as string;
        await conn.request<"ok">({ type: "invite_user", room: here.id, user });
        note(`Invited ${safeName(user)}.`, "ok");
      },
    },
    invites: {
      usage: "/invites",
      help: "your invitations to rooms, to /accept or /decline",
      online: true,
      async run() {
        const list = await mine();
        if (list.length === 0) return note("You have no invitations.");
        for (const i of list) note(invitedText(i));
      },
    },
    accept: {
      usage: "/accept ROOM | /accept CODE",
      help: "accept an invitation to a room, or join with an invite code",
      online: true,
      async run(arg) {
        const text = arg.trim();
        if (!text) return note("Usage: /accept ROOM or /accept CODE", "warn");
        const invited = (await mine()).some(
          (x) => x.name.toLowerCase() === text.replace(/^#/, "").toLowerCase(),
        );
        if (!invited && INVITE_CODE_PATTERN.test(text)) return codes.accept.run(text);
        return answer(text, true);
      },
    },
    decline: {
      usage: "/decline ROOM",
      help: "decline an invitation to a room",
      online: true,
      run: (arg) => answer(arg, false),
    },
  };
}
