/**
 * PRIVMSG, NOTICE and TAGMSG. A message to a channel goes through SendPipeline.send like any
 * WebSocket send: checked, stored durably by the group commit, then published to every node;
 * the echo (echo-message) is sent only after the commit. Messages to a nick are refused with a
 * NOTICE: DMs are end-to-end encrypted and the gateway never carries them.
 */
import { ParleyError } from "../protocol/index.ts";
import type { SendOutcome } from "../server/chat.ts";
import type { ChangeOutcome, ChangeRequest } from "../server/message-events.ts";
import { channelRoom } from "./channel-room.ts";
import { roomOfChannel } from "./channels.ts";
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import type { Handler } from "./handler.ts";
import { channelOf, isChannel, roomNameOf, usernameOf } from "./names.ts";
import { ERR } from "./numerics.ts";
import { bodyOf, seqOfMsgid } from "./render.ts";
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
      const room = await channelRoom(ctx, conn.user, name);
      return conn.numeric(ERR.CANNOTSENDTOCHAN, channelOf(room.name), "Join the channel first");
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== "ROOM_NOT_FOUND") throw err;
    }
  }
  return conn.numeric(ERR.NOSUCHCHANNEL, channel, "No such channel");
}

function send(
  ctx: IrcContext,
  conn: IrcConnection,
  room: number,
  body: string,
  reply: number | undefined,
) {
  const cid = `irc:${crypto.randomUUID()}`;
  conn.rememberOwn(cid);
  ctx.typing.sent(conn.user.id, room);
  return new Promise<SendOutcome>((resolve) => {
    const request = reply === undefined ? { room, cid, body } : { room, cid, body, reply };
    ctx.sends.send(conn.user, request, resolve);
  });
}

async function message(
  ctx: IrcContext,
  conn: IrcConnection,
  target: string,
  text: string,
  reply: Reply,
  replyTo: string | undefined,
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
  // A +draft/reply naming no message of this room is refused by Parley as REPLY_NOT_FOUND.
  const answers = replyTo === undefined ? undefined : (seqOfMsgid(replyTo, room) ?? 0);
  const outcome = await send(ctx, conn, room, body, answers);
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
      await message(ctx, conn, target, text, reply, msg.tags.get("+draft/reply"));
    }
  };
}

export const privmsg: Handler = textMessage();
/** Stored as an ordinary message: Parley has one kind. It comes back as a PRIVMSG. */
export const notice: Handler = textMessage();

/**
 * TAGMSG: +typing=active becomes Parley's typing notice, throttled as the WebSocket one is;
 * +draft/react (with +draft/reply naming the message) toggles the sender's reaction as Parley's
 * clients do: on when they have not reacted with that emoji, off when they have.
 * +draft/unreact takes it back.
 */
export const tagmsg: Handler = async (ctx, conn, msg, reply) => {
  const room = roomOfChannel(conn, msg.params[0] as string);
  if (room === undefined) return;
  const user = conn.user;
  const emoji = msg.tags.get("+draft/react") ?? msg.tags.get("+draft/unreact");
  if (emoji !== undefined) {
    await react(ctx, conn, room, emoji, msg.tags, reply);
    return;
  }
  if (msg.tags.get("+typing") !== "active") return;
  if (!ctx.typing.allow(user.id, room, ctx.now())) return;
  await ctx.chat.requireMember(user, room);
  ctx.chat.publishEphemeral(room, { type: "typing", room, user });
};

async function react(
  ctx: IrcContext,
  conn: IrcConnection,
  room: number,
  emoji: string,
  tags: ReadonlyMap<string, string>,
  reply: Reply,
): Promise<void> {
  const target = seqOfMsgid(tags.get("+draft/reply") ?? "", room);
  if (target === undefined) {
    reply.send({
      source: ctx.serverName,
      command: "FAIL",
      params: [
        "TAGMSG",
        "INVALID_REACTION",
        "A reaction needs +draft/reply with the msgid of a message of this channel",
      ],
    });
    return;
  }
  let on = !tags.has("+draft/unreact");
  if (on) {
    const current = await ctx.store.findMessage(room, target);
    on = !current?.reactions?.some(
      (r) => r.emoji === emoji && r.users.some((u) => u.id === conn.user.id),
    );
  }
  await change(ctx, conn, { room, kind: "react", target, emoji, on });
}

/** Submits a change (reaction, deletion) and waits until it is stored; its live copy follows. */
export async function change(
  ctx: IrcContext,
  conn: IrcConnection,
  req: Omit<ChangeRequest, "cid">,
): Promise<void> {
  const cid = `irc:${crypto.randomUUID()}`;
  conn.rememberOwn(cid);
  const outcome = await new Promise<ChangeOutcome>((resolve) => {
    ctx.chat.events.submit(conn.user, { ...req, cid }, resolve);
  });
  if (!outcome.ok) throw outcome.error;
  conn.seen(req.room, outcome.event.seq);
}

/** REDACT #channel msgid [reason] (draft/message-redaction): deletes the message. */
export const redact: Handler = async (ctx, conn, msg) => {
  const channel = msg.params[0] as string;
  const room = roomOfChannel(conn, channel);
  if (room === undefined) {
    throw new ParleyError("ROOM_NOT_FOUND");
  }
  const target = seqOfMsgid(msg.params[1] as string, room);
  if (target === undefined) throw new ParleyError("MESSAGE_NOT_FOUND");
  await change(ctx, conn, { room, kind: "delete", target });
};
