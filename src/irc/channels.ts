/**
 * Rooms as channels: JOIN, PART, TOPIC, NAMES, WHO, LIST, MODE and WHOIS, each a thin turn of
 * Parley's own operations (Chat.join, Chat.leave, Chat.members, Chat.listRooms). A room the user
 * may not see (a DM, an unknown name; later a private room) answers exactly as one that does
 * not exist: Chat.findRoom decides what exists, so moderation added there holds here too.
 */
import { ParleyError, type UserStatus } from "../protocol/index.ts";
import { attach } from "../server/replay.ts";
import { channelRoom } from "./channel-room.ts";
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import type { Handler } from "./handler.ts";
import { LINE_MAX_BYTES } from "./message.ts";
import { channelOf, foldName, isChannel, nickOf, roomNameOf, usernameOf } from "./names.ts";
import { ERR, RPL } from "./numerics.ts";
import { byteLength } from "./render.ts";
import type { Reply } from "./reply.ts";

/** The room id of a channel this client is in. */
export function roomOfChannel(conn: IrcConnection, channel: string): number | undefined {
  const key = foldName(channel);
  for (const [room, name] of conn.channels) if (foldName(name) === key) return room;
  return undefined;
}

function noSuchChannel(conn: IrcConnection, channel: string) {
  return conn.numeric(ERR.NOSUCHCHANNEL, channel, "No such channel");
}

/** Joins the Parley room and attaches this connection: replayed history first, then live. */
export async function joinRoom(
  ctx: IrcContext,
  conn: IrcConnection,
  reply: Reply,
  ref: { name: string },
): Promise<void> {
  if (roomOfChannel(conn, channelOf(ref.name)) !== undefined) return;
  const user = conn.user;
  const room = await ctx.chat.join(user, { room: (await channelRoom(ctx, user, ref.name)).id });
  const channel = channelOf(room.name);
  conn.channels.set(room.id, channel);
  reply.send({ source: conn.source(), command: "JOIN", params: [channel] });
  if (room.topic !== "") reply.send(conn.numeric(RPL.TOPIC, channel, room.topic));
  await sendNames(ctx, conn, reply, room.id, channel);
  reply.finish();
  // Gone meanwhile: attaching now would leave a closed connection in the hub's catch-up set.
  if (conn.phase === "closed") return;
  // With chathistory the client asks for what it wants; otherwise it gets what it has not read.
  const lastRead = conn.caps.has("draft/chathistory")
    ? room.head
    : ((await ctx.store.memberships(user.id)).find((m) => m.room === room.id)?.lastRead ?? 0);
  const limits = {
    maxMessages: ctx.limits.replayMessages,
    maxBytes: Math.floor(ctx.limits.sendBufferBytes / 4),
  };
  const replay = { store: ctx.store, hub: ctx.hub, log: ctx.log, limits };
  await attach(replay, conn.socket, room.id, { after: lastRead });
}

export const join: Handler = async (ctx, conn, msg, reply) => {
  const list = msg.params[0] as string;
  if (list === "0") {
    reply.send({
      source: ctx.serverName,
      command: "FAIL",
      params: ["JOIN", "INVALID", "JOIN 0 is not supported: PART the channels to leave"],
    });
    return;
  }
  for (const channel of list.split(",").slice(0, 10)) {
    const name = roomNameOf(channel);
    if (name === undefined) {
      reply.send(noSuchChannel(conn, channel));
      continue;
    }
    try {
      await joinRoom(ctx, conn, reply, { name });
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== "ROOM_NOT_FOUND") throw err;
      reply.send(noSuchChannel(conn, channel));
    }
  }
};

export const part: Handler = async (ctx, conn, msg, reply) => {
  for (const channel of (msg.params[0] as string).split(",").slice(0, 10)) {
    const room = roomOfChannel(conn, channel);
    if (room === undefined) {
      reply.send(conn.numeric(ERR.NOTONCHANNEL, channel, "You're not on that channel"));
      continue;
    }
    const name = conn.channels.get(room) as string;
    // Removed first: leaving detaches this connection, which would otherwise PART it again.
    conn.channels.delete(room);
    try {
      await ctx.chat.leave(conn.user, room);
    } catch (err) {
      conn.channels.set(room, name);
      throw err;
    }
    const params = msg.params[1] ? [name, msg.params[1]] : [name];
    reply.send({ source: conn.source(), command: "PART", params });
  }
};

/** A public room by channel name, or undefined when it does not exist (for this user). */
async function findRoom(ctx: IrcContext, conn: IrcConnection, channel: string) {
  const name = roomNameOf(channel);
  if (name === undefined) return undefined;
  try {
    return await channelRoom(ctx, conn.user, name);
  } catch (err) {
    if (err instanceof ParleyError && err.code === "ROOM_NOT_FOUND") return undefined;
    throw err;
  }
}

export const topic: Handler = async (ctx, conn, msg, reply) => {
  const channel = msg.params[0] as string;
  const room = await findRoom(ctx, conn, channel);
  if (!room) {
    reply.send(noSuchChannel(conn, channel));
    return;
  }
  const name = channelOf(room.name);
  if (msg.params.length > 1) {
    reply.send(
      conn.numeric(
        ERR.CHANOPRIVSNEEDED,
        name,
        "Parley sets a room's topic when it is created; it cannot be changed yet",
      ),
    );
    return;
  }
  if (room.topic === "") reply.send(conn.numeric(RPL.NOTOPIC, name, "No topic is set"));
  else reply.send(conn.numeric(RPL.TOPIC, name, room.topic));
};

/** RPL_NAMREPLY lines of whole nicks, each line within the limit, then RPL_ENDOFNAMES. */
async function sendNames(
  ctx: IrcContext,
  conn: IrcConnection,
  reply: Reply,
  room: number,
  channel: string,
): Promise<void> {
  const members = await ctx.chat.members(conn.user, room);
  const head = `:${ctx.serverName} ${RPL.NAMREPLY} ${conn.target()} = ${channel} :`;
  const space = LINE_MAX_BYTES - 2 - byteLength(head);
  let line: string[] = [];
  let bytes = 0;
  for (const m of members) {
    const nick = nickOf(m.name);
    if (bytes + nick.length + 1 > space && line.length > 0) {
      reply.send(conn.numeric(RPL.NAMREPLY, "=", channel, line.join(" ")));
      line = [];
      bytes = 0;
    }
    line.push(nick);
    bytes += nick.length + 1;
  }
  if (line.length > 0) reply.send(conn.numeric(RPL.NAMREPLY, "=", channel, line.join(" ")));
  reply.send(conn.numeric(RPL.ENDOFNAMES, channel, "End of /NAMES list"));
}

export const names: Handler = async (ctx, conn, msg, reply) => {
  const channel = msg.params[0] ?? "";
  const room = roomOfChannel(conn, channel);
  if (room === undefined) {
    reply.send(conn.numeric(RPL.ENDOFNAMES, channel || "*", "End of /NAMES list"));
    return;
  }
  await sendNames(ctx, conn, reply, room, conn.channels.get(room) as string);
};

function flag(status: UserStatus): string {
  return status === "online" ? "H" : "G";
}

export const who: Handler = async (ctx, conn, msg, reply) => {
  const mask = msg.params[0] ?? "*";
  const server = ctx.serverName;
  if (isChannel(mask)) {
    const room = roomOfChannel(conn, mask);
    if (room !== undefined) {
      const channel = conn.channels.get(room) as string;
      for (const m of await ctx.chat.members(conn.user, room)) {
        reply.send(
          conn.numeric(
            RPL.WHOREPLY,
            channel,
            m.name,
            server,
            server,
            nickOf(m.name),
            flag(m.status),
            `0 ${m.name}`,
          ),
        );
      }
    }
  } else {
    const name = usernameOf(mask);
    const found = name === undefined ? undefined : await ctx.store.findUser(name);
    if (found) {
      const status =
        (await ctx.presence.statuses([found.id])).get(found.id) ?? ("offline" as const);
      reply.send(
        conn.numeric(
          RPL.WHOREPLY,
          "*",
          found.name,
          server,
          server,
          nickOf(found.name),
          flag(status),
          `0 ${found.name}`,
        ),
      );
    }
  }
  reply.send(conn.numeric(RPL.ENDOFWHO, mask, "End of WHO list"));
};

export const whois: Handler = async (ctx, conn, msg, reply) => {
  const nick = msg.params[msg.params.length - 1] as string;
  const name = usernameOf(nick);
  const found = name === undefined ? undefined : await ctx.store.findUser(name);
  if (!found) {
    reply.send(conn.numeric(ERR.NOSUCHNICK, nick, "No such nick"));
  } else {
    const server = ctx.serverName;
    const shown = nickOf(found.name);
    reply.send(conn.numeric(RPL.WHOISUSER, shown, found.name, server, "*", found.name));
    reply.send(conn.numeric(RPL.WHOISSERVER, shown, server, "Parley"));
    reply.send(conn.numeric(RPL.WHOISACCOUNT, shown, found.name, "is logged in as"));
    const status = (await ctx.presence.statuses([found.id])).get(found.id) ?? "offline";
    if (status !== "online")
      reply.send(conn.numeric(RPL.AWAY, shown, status === "away" ? "Away" : "Offline"));
  }
  reply.send(conn.numeric(RPL.ENDOFWHOIS, nick, "End of /WHOIS list"));
};

/** The users among some nicks, with their status: from many nicks, at most this many. */
const LOOKUP_MAX = 20;

async function lookup(ctx: IrcContext, nicks: readonly string[]) {
  const found = [];
  for (const nick of nicks.slice(0, LOOKUP_MAX)) {
    const name = usernameOf(nick);
    const user = name === undefined ? undefined : await ctx.store.findUser(name);
    if (user) found.push(user);
  }
  const statuses = await ctx.presence.statuses(found.map((u) => u.id));
  return found.map((u) => ({
    nick: nickOf(u.name),
    name: u.name,
    status: statuses.get(u.id) ?? "offline",
  }));
}

/** ISON: which of these nicks are online (notify lists). */
export const ison: Handler = async (ctx, conn, msg, reply) => {
  const nicks = msg.params.join(" ").split(" ").filter(Boolean);
  const online = (await lookup(ctx, nicks)).filter((u) => u.status !== "offline");
  reply.send(conn.numeric(RPL.ISON, online.map((u) => u.nick).join(" ")));
};

/** USERHOST: nick=+user@host for each known nick ("-" when away or offline). */
export const userhost: Handler = async (ctx, conn, msg, reply) => {
  const users = await lookup(ctx, msg.params.slice(0, 5));
  const entries = users.map(
    (u) => `${u.nick}=${u.status === "online" ? "+" : "-"}${u.name}@${ctx.serverName}`,
  );
  reply.send(conn.numeric(RPL.USERHOST, entries.join(" ")));
};

/** LIST reads at most this many pages of public rooms, of LIST_PAGE each. */
const LIST_PAGES_MAX = 10;
const LIST_PAGE = 500;

export const list: Handler = async (ctx, conn, msg, reply) => {
  const wanted = msg.params[0]
    ? new Set(msg.params[0].split(",").map((c) => foldName(c)))
    : undefined;
  reply.send(conn.numeric(RPL.LISTSTART, "Channel", "Users  Name"));
  // The room list is paged (GET /api/rooms): follow it, bounded like any one request.
  let after: string | undefined;
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const listed = await ctx.chat.listRooms(conn.user, { after, limit: LIST_PAGE });
    for (const room of listed.rooms) {
      if (room.kind !== "room") continue;
      const channel = channelOf(room.name);
      if (wanted && !wanted.has(foldName(channel))) continue;
      reply.send(conn.numeric(RPL.LIST, channel, String(room.members), room.topic));
    }
    if (listed.next === undefined) break;
    after = listed.next;
  }
  reply.send(conn.numeric(RPL.LISTEND, "End of /LIST"));
};

export const mode: Handler = async (ctx, conn, msg, reply) => {
  const target = msg.params[0] as string;
  if (isChannel(target)) {
    const room = await findRoom(ctx, conn, target);
    if (!room) {
      reply.send(noSuchChannel(conn, target));
      return;
    }
    const channel = channelOf(room.name);
    const change = msg.params[1];
    if (change === undefined) {
      reply.send(conn.numeric(RPL.CHANNELMODEIS, channel, "+nt"));
      reply.send(
        conn.numeric(RPL.CREATIONTIME, channel, String(Math.floor(room.createdAt / 1000))),
      );
    } else if (/^[+-]?b$/.test(change)) {
      reply.send(conn.numeric("368", channel, "End of channel ban list"));
    } else {
      reply.send(conn.numeric(ERR.CHANOPRIVSNEEDED, channel, "Channel modes are not set over IRC"));
    }
    return;
  }
  if (foldName(target) !== foldName(conn.target())) {
    reply.send(conn.numeric(ERR.USERSDONTMATCH, "Can't view or change modes of other users"));
    return;
  }
  reply.send(conn.numeric(RPL.UMODEIS, "+i"));
};
