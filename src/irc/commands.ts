/**
 * The command table, and the guards that run before any handler (as ergo's irc/commands.go):
 * whether the command needs a registered (logged-in) connection and how many parameters it
 * takes. Refusals from Parley's operations become a numeric where IRC has one, else a FAIL
 * standard reply carrying the Parley error code; anything unexpected becomes INTERNAL.
 */

import { errorFields } from "../log/log.ts";
import { ParleyError, toErrorBody } from "../protocol/index.ts";
import * as channels from "./channels.ts";
import { chathistory } from "./chathistory.ts";
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import type { CommandSpec } from "./handler.ts";
import type { IrcMessage } from "./message.ts";
import * as messaging from "./messaging.ts";
import { ERR } from "./numerics.ts";
import * as registration from "./registration.ts";
import { Reply } from "./reply.ts";
import * as session from "./session.ts";

const before = (params: number, run: CommandSpec["run"]): CommandSpec => ({
  params,
  registered: false,
  run,
});
const after = (params: number, run: CommandSpec["run"]): CommandSpec => ({
  params,
  registered: true,
  run,
});

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  CAP: before(1, registration.cap),
  NICK: before(0, registration.nick),
  USER: before(4, registration.user),
  PASS: before(1, registration.pass),
  AUTHENTICATE: before(1, registration.authenticate),
  PING: before(1, session.ping),
  PONG: before(0, session.pong),
  QUIT: before(0, session.quit),
  AWAY: after(0, session.away),
  MOTD: after(0, session.motd),
  VERSION: after(0, session.version),
  JOIN: after(1, channels.join),
  PART: after(1, channels.part),
  TOPIC: after(1, channels.topic),
  NAMES: after(0, channels.names),
  WHO: after(0, channels.who),
  WHOIS: after(1, channels.whois),
  LIST: after(0, channels.list),
  ISON: after(1, channels.ison),
  USERHOST: after(1, channels.userhost),
  MODE: after(1, channels.mode),
  PRIVMSG: after(2, messaging.privmsg),
  NOTICE: after(2, messaging.notice),
  TAGMSG: after(1, messaging.tagmsg),
  REDACT: after(2, messaging.redact),
  CHATHISTORY: after(2, chathistory),
};

/** Refusals IRC clients know as numerics; the rest become FAIL <command> <CODE>. */
function refusal(conn: IrcConnection, command: string, msg: IrcMessage, err: ParleyError) {
  const target = msg.params[0] ?? "*";
  switch (err.code) {
    case "ROOM_NOT_FOUND":
      return conn.numeric(ERR.NOSUCHCHANNEL, target, "No such channel");
    case "NOT_MEMBER":
      return conn.numeric(ERR.NOTONCHANNEL, target, "You're not on that channel");
    case "INVALID_MESSAGE":
      return conn.numeric(ERR.NOTEXTTOSEND, err.message);
    // Every client shows 404 in the channel; many ignore FAIL.
    case "BANNED":
      if (command === "JOIN") return conn.numeric("474", target, err.message);
      return conn.numeric(ERR.CANNOTSENDTOCHAN, target, err.message);
    case "MUTED":
      return conn.numeric(ERR.CANNOTSENDTOCHAN, target, err.message);
    case "ROOM_ARCHIVED":
      return conn.numeric(ERR.CANNOTSENDTOCHAN, target, "Cannot send to channel: room is archived");
    default:
      return {
        source: conn.serverName,
        command: "FAIL",
        params: [command, err.code, err.message],
      };
  }
}

/** Runs one line: guards, then the handler; its answer labeled when the client asked. */
export async function dispatch(
  ctx: IrcContext,
  conn: IrcConnection,
  msg: IrcMessage,
): Promise<void> {
  const label = conn.caps.has("labeled-response") ? msg.tags.get("label") : undefined;
  const reply = new Reply(conn, label !== undefined && label.length <= 64 ? label : undefined);
  const spec = Object.hasOwn(COMMANDS, msg.command) ? COMMANDS[msg.command] : undefined;
  try {
    if (!spec) {
      reply.send(conn.numeric(ERR.UNKNOWNCOMMAND, msg.command.slice(0, 32), "Unknown command"));
    } else if (spec.registered && conn.phase !== "registered") {
      reply.send(conn.numeric(ERR.NOTREGISTERED, "You have not registered"));
    } else if (msg.params.length < spec.params) {
      reply.send(conn.numeric(ERR.NEEDMOREPARAMS, msg.command, "Not enough parameters"));
    } else {
      await spec.run(ctx, conn, msg, reply);
    }
  } catch (err) {
    if (!(err instanceof ParleyError)) {
      ctx.log.error("irc.handler_failed", {
        conn: conn.id,
        command: msg.command,
        ...errorFields(err),
      });
    }
    const known = err instanceof ParleyError ? err : new ParleyError(toErrorBody(err).code);
    reply.send(refusal(conn, msg.command, msg, known));
  }
  reply.finish();
}
