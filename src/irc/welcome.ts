/**
 * What a client hears once registered: the welcome numerics, ISUPPORT, the MOTD, and a JOIN for
 * every public room the account belongs to (memberships are the account's, on every client).
 */
import { TOPIC_MAX_CHARS } from "../protocol/index.ts";
import { joinRoom } from "./channels.ts";
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import { LINE_MAX_BYTES } from "./message.ts";
import { RPL } from "./numerics.ts";
import type { Reply } from "./reply.ts";

export const MOTD = [
  "This is a Parley server, reached through its IRC gateway.",
  "Rooms are channels; your nick is your Parley username.",
  "Direct messages are end-to-end encrypted and stay in the Parley clients.",
];

/** ISUPPORT tokens (RPL_ISUPPORT), as clients read them to learn the rules. */
export function isupport(): string[] {
  return [
    "CASEMAPPING=ascii",
    "CHANTYPES=#",
    "CHANMODES=,,,nt",
    "PREFIX=",
    "NETWORK=Parley",
    "NICKLEN=33",
    "CHANNELLEN=33",
    `TOPICLEN=${TOPIC_MAX_CHARS}`,
    "AWAYLEN=200",
    `LINELEN=${LINE_MAX_BYTES}`,
    "UTF8ONLY",
    "CHATHISTORY=200",
    "MSGREFTYPES=msgid,timestamp",
  ];
}

export function sendIsupport(conn: IrcConnection, reply: Reply): void {
  reply.send(conn.numeric(RPL.ISUPPORT, ...isupport(), "are supported by this server"));
}

export function sendMotd(ctx: IrcContext, conn: IrcConnection, reply: Reply): void {
  reply.send(conn.numeric(RPL.MOTDSTART, `- ${ctx.serverName} Message of the day -`));
  for (const line of MOTD) reply.send(conn.numeric(RPL.MOTD, `- ${line}`));
  reply.send(conn.numeric(RPL.ENDOFMOTD, "End of /MOTD command."));
}

export async function welcome(ctx: IrcContext, conn: IrcConnection, reply: Reply): Promise<void> {
  const server = ctx.serverName;
  reply.send(conn.numeric(RPL.WELCOME, `Welcome to Parley, ${conn.user.name}`));
  reply.send(conn.numeric(RPL.YOURHOST, `Your host is ${server}, running Parley ${ctx.version}`));
  reply.send(
    conn.numeric(RPL.CREATED, `This server was created ${new Date(ctx.startedAt).toUTCString()}`),
  );
  reply.send(conn.numeric(RPL.MYINFO, server, `parley-${ctx.version}`, "i", "nt"));
  sendIsupport(conn, reply);
  sendMotd(ctx, conn, reply);
  const rooms = (await ctx.chat.listRooms(conn.user)).rooms.filter(
    (r) => r.kind === "room" && r.joined,
  );
  for (const room of rooms) await joinRoom(ctx, conn, reply, { name: room.name });
}
