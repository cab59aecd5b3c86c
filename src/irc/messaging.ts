/**
 * PRIVMSG, NOTICE and TAGMSG. A message to a channel goes through Chat.send like any WebSocket
 * send: checked, stored durably by the group commit, then published to every node; the echo
 * (echo-message) is sent only after the commit. Messages to a nick are refused with a NOTICE:
 * DMs are end-to-end encrypted and the gateway never carries them.
 */
import { ParleyError } from "../protocol/index.ts";
import type { SendOutcome } from "../server/chat.ts";
import { roomOfChannel } from "./channels.ts";
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import type { Handler } from "./handler.ts";
import { channelOf, isChannel, roomNameOf, usernameOf } from "./names.ts";
import { ERR } from "./numerics.ts";
import { bodyOf } from "./render.ts";
import type { Reply } from "./reply.ts";

/** Targets one PRIVMSG may name (ISUPPORT TARGMAX is not sent; clients send one). */
const TARGETS_MAX = 4;

export function dmRefusal(nick: string): string {
  const name = usernameOf(nick) ?? nick;
  return `Direct messages on Parley are end-to-end encrypted, which IRC cannot carry: chat with ${name} in the Parley web or terminal client. Nothing was sent.`;
}

/** Why a channel this client is not in cannot take the message: unknown, or not joined. */
async function notInChannel(ctx: IrcContext, conn: IrcConnection, channel: string) {
  const name = roomNameOf(channel);
  if (name !== undefined) {
    try {
      const room = await ctx.chat.findRoom({ name }, conn.user);
      return conn.numeric(ERR.CANNOTSENDTOCHAN, channelOf(room.name), "Join the channel first");
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== "ROOM_NOT_FOUND") throw err;
    }
  }
  return conn.numeric(ERR.NOSUCHCHANNEL, channel, "No such channel");
}

function send(ctx: IrcContext, conn: IrcConnection, room: number, body: string) {
  const cid = `irc:${crypto.randomUUID()}`;
  conn.rememberOwn(cid);
  ctx.typing.sent(conn.user.id, room);
  return new Promise<SendOutcome>((resolve, reject) => {
    try {
      const pending = ctx.chat.send(conn.user, { room, cid, body }, resolve);
      if (pending) pending.catch(reject);
    } catch (err) {
      reject(err);
    }
  });
}

async function message(
  ctx: IrcContext,
  conn: IrcConnection,
  target: string,
  text: string,
  reply: Reply,
): Promise<void> {
  if (!isChannel(target)) {
    reply.send({
      source: ctx.serverName,
      command: "NOTICE",
      params: [conn.target(), dmRefusal(target)],
    });
    return;
  }
  const room = roomOfChannel(conn, target);
  if (room === undefined) {
    reply.send(await notInChannel(ctx, conn, target));
    return;
  }
  const body = bodyOf(text);
  // Other CTCP requests (VERSION, PING) are not chat: nothing is stored.
  if (body === undefined) return;
  const outcome = await send(ctx, conn, room, body);
  if (!outcome.ok) throw outcome.error;
  const m = outcome.message;
  conn.seen(m.room, m.seq);
  if (!conn.caps.has("echo-message")) return;
  for (const line of conn.messageLines(m, conn.channels.get(room) as string)) reply.send(line);
}

function textMessage(): Handler {
  return async (ctx, conn, msg, reply) => {
    const text = msg.params[1] ?? "";
    if (text === "") {
      reply.send(conn.numeric(ERR.NOTEXTTOSEND, "No text to send"));
      return;
    }
    for (const target of (msg.params[0] as string).split(",").slice(0, TARGETS_MAX)) {
      await message(ctx, conn, target, text, reply);
    }
  };
}

export const privmsg: Handler = textMessage();
/** Stored as an ordinary message: Parley has one kind. It comes back as a PRIVMSG. */
export const notice: Handler = textMessage();

/** +typing=active becomes Parley's typing notice, throttled as the WebSocket one is. */
export const tagmsg: Handler = async (ctx, conn, msg) => {
  if (msg.tags.get("+typing") !== "active") return;
  const room = roomOfChannel(conn, msg.params[0] as string);
  if (room === undefined) return;
  const user = conn.user;
  if (!ctx.typing.allow(user.id, room, ctx.now())) return;
  await ctx.chat.requireMember(user, room);
  ctx.chat.publishEphemeral(room, { type: "typing", room, user });
};
