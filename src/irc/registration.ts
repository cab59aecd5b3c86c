/**
 * Getting in: CAP negotiation, NICK/USER, and login with a Parley account by SASL PLAIN or
 * `PASS name:password`, both through Auth.login (its throttles, its answers). Registration ends
 * once NICK and USER are in and negotiation is over; the nick is then the account's, whatever
 * was asked for, since a Parley user has one name everywhere.
 */
import { ParleyError } from "../protocol/index.ts";
import { hashToken, type Issued } from "../server/auth.ts";
import { connectionData } from "../server/connection-data.ts";
import { advertised } from "./caps.ts";
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import type { Handler } from "./handler.ts";
import { usernameOf } from "./names.ts";
import { ERR, RPL } from "./numerics.ts";
import type { Reply } from "./reply.ts";
import { welcome } from "./welcome.ts";

/** SASL PLAIN carries at most name, name and a 256-character password: this bounds it. */
const SASL_MAX_BYTES = 1200;

export const cap: Handler = async (ctx, conn, msg, reply) => {
  const sub = (msg.params[0] ?? "").toUpperCase();
  const target = conn.target();
  const server = ctx.serverName;
  switch (sub) {
    case "LS": {
      const version = Number(msg.params[1] ?? "0");
      if (conn.phase === "registering") conn.caps.state = "negotiating";
      conn.caps.listed(Number.isFinite(version) ? version : 0);
      reply.send({
        source: server,
        command: "CAP",
        params: [target, "LS", advertised(conn.caps.version).join(" ")],
      });
      return;
    }
    case "REQ": {
      if (conn.phase === "registering") conn.caps.state = "negotiating";
      const list = msg.params[1] ?? "";
      const ok = conn.caps.request(list);
      reply.send({ source: server, command: "CAP", params: [target, ok ? "ACK" : "NAK", list] });
      return;
    }
    case "LIST":
      reply.send({
        source: server,
        command: "CAP",
        params: [target, "LIST", conn.caps.enabled().join(" ")],
      });
      return;
    case "END":
      if (conn.phase !== "registering") return;
      conn.caps.state = "done";
      reply.finish();
      await tryRegister(ctx, conn, reply);
      return;
    default:
      reply.send(conn.numeric(ERR.INVALIDCAPCMD, sub, "Unknown CAP subcommand"));
  }
};

export const nick: Handler = async (_ctx, conn, msg, reply) => {
  const wanted = msg.params[0] ?? "";
  if (wanted === "") {
    reply.send(conn.numeric(ERR.NONICKNAMEGIVEN, "No nickname given"));
    return;
  }
  if (conn.phase === "registered") {
    if (wanted.toLowerCase() === conn.target().toLowerCase()) return;
    reply.send(
      conn.numeric(
        ERR.ERRONEUSNICKNAME,
        wanted,
        "Your nick is your Parley username; it cannot be changed here",
      ),
    );
    return;
  }
  conn.nick = wanted.slice(0, 64);
  await tryRegister(_ctx, conn, reply);
};

export const user: Handler = async (ctx, conn, _msg, reply) => {
  if (conn.phase === "registered") {
    reply.send(conn.numeric(ERR.ALREADYREGISTERED, "You may not reregister"));
    return;
  }
  conn.userGiven = true;
  await tryRegister(ctx, conn, reply);
};

export const pass: Handler = (_ctx, conn, msg, reply) => {
  if (conn.phase === "registered") {
    reply.send(conn.numeric(ERR.ALREADYREGISTERED, "You may not reregister"));
    return;
  }
  conn.pass = msg.params[0];
};

export const authenticate: Handler = async (ctx, conn, msg, reply) => {
  const arg = msg.params[0] ?? "";
  if (conn.login) {
    reply.send(conn.numeric(ERR.SASLALREADY, "You have already authenticated"));
    return;
  }
  if (!conn.caps.has("sasl")) {
    reply.send(conn.numeric(ERR.SASLFAIL, "Request the sasl capability first"));
    return;
  }
  if (arg === "*") {
    conn.sasl = { mechanism: undefined, buffer: "" };
    reply.send(conn.numeric(ERR.SASLABORTED, "SASL authentication aborted"));
    return;
  }
  if (conn.sasl.mechanism === undefined) {
    if (arg.toUpperCase() !== "PLAIN") {
      reply.send(conn.numeric(RPL.SASLMECHS, "PLAIN", "are available SASL mechanisms"));
      reply.send(conn.numeric(ERR.SASLFAIL, "SASL authentication failed"));
      return;
    }
    conn.sasl = { mechanism: "PLAIN", buffer: "" };
    reply.send({ command: "AUTHENTICATE", params: ["+"] });
    return;
  }
  if (arg !== "+") conn.sasl.buffer += arg;
  if (conn.sasl.buffer.length > SASL_MAX_BYTES) {
    conn.sasl = { mechanism: undefined, buffer: "" };
    reply.send(conn.numeric(ERR.SASLTOOLONG, "SASL message too long"));
    return;
  }
  // A 400-byte chunk means more follows.
  if (arg.length === 400) return;
  const payload = conn.sasl.buffer;
  conn.sasl = { mechanism: undefined, buffer: "" };
  const parts = Buffer.from(payload, "base64").toString("utf8").split("\u0000");
  const [authzid, authcid, password] = parts;
  if (
    parts.length !== 3 ||
    !authcid ||
    password === undefined ||
    (authzid !== "" && authzid !== authcid)
  ) {
    reply.send(conn.numeric(ERR.SASLFAIL, "SASL authentication failed: malformed PLAIN message"));
    return;
  }
  const outcome = await logIn(ctx, conn, authcid, password);
  if (typeof outcome === "string") {
    reply.send(conn.numeric(ERR.SASLFAIL, `SASL authentication failed: ${outcome}`));
    return;
  }
  const name = outcome.user.name;
  const nick = conn.nickOf(name);
  reply.send(
    conn.numeric(
      RPL.LOGGEDIN,
      `${nick}!${name}@${ctx.serverName}`,
      name,
      `You are now logged in as ${name}`,
    ),
  );
  reply.send(conn.numeric(RPL.SASLSUCCESS, "SASL authentication successful"));
};

/** Logs in through Auth (its throttles included): the login, or the refusal's text. */
async function logIn(
  ctx: IrcContext,
  conn: IrcConnection,
  name: string,
  password: string,
): Promise<Issued | string> {
  try {
    const login = await ctx.auth.login(name, password, conn.address);
    if (conn.phase === "closed") {
      // Gone while the password was checked: nothing will end this session later.
      await conn.endSession(login.user, hashToken(login.token), login.expiresAt);
      return "The connection closed";
    }
    conn.login = login;
    return login;
  } catch (err) {
    if (err instanceof ParleyError) return err.message;
    throw err;
  }
}

/** Completes registration once NICK, USER and negotiation are done; refuses without a login. */
async function tryRegister(ctx: IrcContext, conn: IrcConnection, reply: Reply): Promise<void> {
  if (conn.phase !== "registering" || !conn.nick || !conn.userGiven) return;
  if (conn.caps.state === "negotiating") return;
  if (!conn.login && conn.pass !== undefined) {
    const colon = conn.pass.indexOf(":");
    const [name, password] =
      colon > 0
        ? [conn.pass.slice(0, colon), conn.pass.slice(colon + 1)]
        : [usernameOf(conn.nick) ?? conn.nick, conn.pass];
    const refused = await logIn(ctx, conn, name, password);
    if (typeof refused === "string") {
      reply.send(conn.numeric(ERR.PASSWDMISMATCH, refused));
      reply.finish();
      conn.quit(`Login failed: ${refused}`);
      return;
    }
  }
  const login = conn.login;
  if (!login) {
    reply.send(
      conn.numeric(
        ERR.PASSWDMISMATCH,
        "Log in with your Parley account: SASL PLAIN, or PASS name:password",
      ),
    );
    reply.finish();
    conn.quit("Login required");
    return;
  }
  const claim = ctx.hub.reserve(login.user.id, conn.address);
  if (claim !== "ok") {
    ctx.log.warn("irc.refused", { user: login.user.id, address: conn.address, cap: claim });
    reply.finish();
    conn.quit("Too many open connections");
    return;
  }
  let memberships: number[];
  try {
    memberships = await ctx.store.roomsOf(login.user.id);
  } catch (err) {
    ctx.hub.release(login.user.id, conn.address);
    throw err;
  }
  if (conn.phase !== "registering") {
    ctx.hub.release(login.user.id, conn.address);
    return;
  }
  conn.data = connectionData({
    id: conn.id,
    session: { user: login.user, tokenHash: hashToken(login.token), expiresAt: login.expiresAt },
    address: conn.address,
    memberships,
    rate: ctx.limits.rate,
    burst: ctx.limits.burst,
    now: ctx.now(),
  });
  conn.nick = conn.nickOf(login.user.name);
  conn.phase = "registered";
  ctx.hub.opened(conn.socket);
  ctx.log.info("irc.registered", { conn: conn.id, user: login.user.id });
  reply.finish();
  await welcome(ctx, conn, reply);
}
