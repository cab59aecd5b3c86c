/** The small commands around a session: PING, PONG, AWAY, QUIT, MOTD, VERSION. */
import type { Handler } from "./handler.ts";
import { RPL } from "./numerics.ts";
import { sendIsupport, sendMotd } from "./welcome.ts";

export const ping: Handler = (ctx, _conn, msg, reply) => {
  reply.send({
    source: ctx.serverName,
    command: "PONG",
    params: [ctx.serverName, msg.params[0] ?? ""],
  });
};

/** Any line proves the client alive; the gateway noted it before dispatch. */
export const pong: Handler = () => {};

export const away: Handler = (ctx, conn, msg, reply) => {
  const away = (msg.params[0] ?? "") !== "";
  ctx.presence.setAway(conn.socket, away);
  reply.send(
    away
      ? conn.numeric(RPL.NOWAWAY, "You have been marked as being away")
      : conn.numeric(RPL.UNAWAY, "You are no longer marked as being away"),
  );
};

export const quit: Handler = (_ctx, conn, msg, reply) => {
  reply.finish();
  conn.quit(msg.params[0] ? `Quit: ${msg.params[0]}` : "Quit");
};

export const motd: Handler = (ctx, conn, _msg, reply) => {
  sendMotd(ctx, conn, reply);
};

export const version: Handler = (ctx, conn, _msg, reply) => {
  reply.send(conn.numeric("351", `parley-${ctx.version}`, ctx.serverName, "Parley IRC gateway"));
  sendIsupport(conn, reply);
};
