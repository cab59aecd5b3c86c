/**
 * The HTTP API (hono): accounts, rooms and history as JSON, with errors as {code, message}.
 * WebSocket upgrades never reach it; server.ts routes /ws before hono sees the request.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Store } from "../../db/store.ts";
import { errorFields, type Logger } from "../log/log.ts";
import {
  HISTORY_PAGE_MAX,
  ParleyError,
  ROOM_PAGE_MAX,
  TOPIC_MAX_CHARS,
  toErrorBody,
} from "../protocol/index.ts";
import type { Access } from "./access.ts";
import type { Admin } from "./admin.ts";
import { adminRoutes } from "./admin-routes.ts";
import type { Auth } from "./auth.ts";
import { botRoutes, webhookRoutes } from "./bot-routes.ts";
import { inScope, routeDenial } from "./bot-scope.ts";
import type { Bots } from "./bots.ts";
import type { Chat } from "./chat.ts";
import { type CommunityRouteOptions, communityRoutes } from "./community-routes.ts";
import { type Files, fileView } from "./files.ts";
import { type HttpEnv, jsonBody, parse } from "./http-input.ts";
import type { Socket } from "./hub.ts";
import type { Metrics } from "./metrics.ts";
import type { OriginPolicy } from "./origin.ts";
import type { Presence } from "./presence.ts";
import { KeyedLimiter } from "./rate-limit.ts";
import { MEMBER, requires } from "./route-requirement.ts";
import { searchRoutes } from "./search.ts";
import type { EndSessions, SessionControls } from "./session-controls.ts";
import { settingsRoutes } from "./settings-routes.ts";

export type { HttpEnv } from "./http-input.ts";

export interface HttpOptions {
  auth: Auth;
  chat: Chat;
  access: Access;
  /** Who is online: /healthz counts connections. */
  presence: Presence<Socket>;
  log: Logger;
  origins: OriginPolicy;
  maxBodyBytes: number;
  /** Requests per second per user, sustained (4× per address); see HTTP_COST. */
  httpRate: number;
  /** Requests per user in a burst (4× per address). */
  httpBurst: number;
  now: () => number;
  sessions: SessionControls;
  /** Closes the sockets of revoked sessions: the one function for it (see server.ts). */
  endSessions: EndSessions;
  /** File sharing; without it the file routes answer NOT_FOUND. */
  files?: Files | undefined;
  metrics?: Metrics | undefined;
  /** Bots and webhooks; without it their routes answer NOT_FOUND. */
  bots?: Bots | undefined;
  /** Moderation, invite codes and the audit log; without it their routes answer NOT_FOUND. */
  communities?: CommunityRouteOptions | undefined;
  /** Server administration and account deletion; without it their routes answer NOT_FOUND. */
  admin?: Admin | undefined;
  /** Where per-user settings are kept; without it /api/settings answers NOT_FOUND. */
  store?: Store | undefined;
}

/** The upload route streams its body under its own limit, not maxBodyBytes. */
const UPLOAD_PATH = /^\/api\/rooms\/[^/]+\/files$/;

const credentials = z.object({ username: z.string().max(64), password: z.string().max(1024) });
const registrationBody = credentials.extend({ invite: z.string().max(64).optional() });
const passwordChange = z.object({
  current: z.string().max(1024),
  password: z.string().max(1024),
});
const newRoom = z.object({
  name: z.string().max(64),
  topic: z.string().max(TOPIC_MAX_CHARS).optional(),
  visibility: z.enum(["public", "private"]).optional(),
});
const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const historyQuery = z.object({
  before: seqParam.optional(),
  after: seqParam.optional(),
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).optional(),
});
const roomParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const roomsQuery = z.object({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(ROOM_PAGE_MAX).optional(),
  name: z.string().max(64).optional(),
});

/** Many users may share one address (NAT, a proxy): its bucket holds this many users' worth. */
const ADDRESS_SHARE = 4;

/**
 * What a request costs of the rate buckets, by the work it makes; unlisted ones cost 1. The
 * order matters: the first pattern that matches the method and path wins.
 */
const HTTP_COST: readonly [string, RegExp, number][] = [
  ["GET", /^\/api\/rooms$/, 5],
  ["POST", /^\/api\/rooms$/, 10],
  ["POST", /^\/api\/rooms\/[^/]+\/files$/, 10],
  ["GET", /^\/api\/rooms\/[^/]+\/(messages|members)$/, 3],
  ["GET", /^\/api\/files\//, 2],
  ["POST", /^\/api\/(login|register|password)$/, 2],
  ["GET", /^\/api\/sessions$/, 2],
  ["GET", /^\/api\/search$/, 5],
];

function costOf(method: string, path: string): number {
  for (const [m, pattern, cost] of HTTP_COST) if (m === method && pattern.test(path)) return cost;
  return 1;
}

export function bearer(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

export function createHttpApp(o: HttpOptions): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  const { auth, chat } = o;

  app.onError((err, c) => {
    if (!(err instanceof ParleyError))
      o.log.error("http.failed", { path: c.req.path, ...errorFields(err) });
    const body = toErrorBody(err);
    o.metrics?.errors.inc({ code: body.code });
    const status = err instanceof ParleyError ? err.status : 500;
    if (body.retryAfter !== undefined) c.header("Retry-After", String(body.retryAfter));
    return c.json(body, status as 400);
  });
  app.notFound((c) => c.json(toErrorBody(new ParleyError("NOT_FOUND")), 404));

  app.use("/api/*", async (c, next) => {
    if (!o.origins.allows(c.req.header("origin"), c.req.header("host"))) {
      throw new ParleyError("FORBIDDEN_ORIGIN");
    }
    await next();
  });

  const limitBody = bodyLimit({
    maxSize: o.maxBodyBytes,
    onError: () => {
      throw new ParleyError(
        "BODY_TOO_LARGE",
        `Request bodies are at most ${o.maxBodyBytes} bytes.`,
      );
    },
  });
  app.use("/api/*", (c, next) =>
    c.req.method === "POST" && UPLOAD_PATH.test(c.req.path) ? next() : limitBody(c, next),
  );

  // Every API request is priced per address before anything else runs, and per user once the
  // session is known (below): one user cannot make the server work for everyone else.
  const byAddress = new KeyedLimiter(o.httpBurst * ADDRESS_SHARE, o.httpRate * ADDRESS_SHARE);
  const byUser = new KeyedLimiter(o.httpBurst, o.httpRate);
  const charge = (limiter: KeyedLimiter, key: string, cost: number) => {
    const now = o.now();
    if (limiter.take(key, now, cost)) return;
    const retryAfter = Math.max(1, limiter.retryAfter(key, now, cost));
    throw new ParleyError("RATE_LIMITED", undefined, { retryAfter });
  };
  app.use("/api/*", async (c, next) => {
    charge(byAddress, c.env.ip, costOf(c.req.method, c.req.path));
    await next();
  });
  const sweep = setInterval(() => {
    byAddress.prune(o.now());
    byUser.prune(o.now());
  }, 60_000);
  sweep.unref();

  app.get("/healthz", (c) => c.json({ ok: true, connections: o.presence.connections }));

  app.post("/api/register", async (c) => {
    const { username, password, invite } = await jsonBody(c, registrationBody);
    return c.json(
      await auth.register(username, password, c.env.ip, c.req.header("user-agent"), invite),
      201,
    );
  });

  app.post("/api/login", async (c) => {
    const { username, password } = await jsonBody(c, credentials);
    return c.json(await auth.login(username, password, c.env.ip, c.req.header("user-agent")));
  });

  if (o.bots) app.route("/", webhookRoutes(o.bots));

  // Everything below needs a session.
  app.use("/api/*", async (c, next) => {
    const session = await auth.authenticate(bearer(c.req.header("authorization")));
    if (!session) throw new ParleyError("UNAUTHENTICATED");
    const denied = routeDenial(session, c.req.method, c.req.path);
    if (denied) throw denied;
    charge(byUser, String(session.user.id), costOf(c.req.method, c.req.path));
    c.set("session", session);
    await next();
  });

  app.post("/api/logout", async (c) => {
    const session = c.get("session");
    await auth.logout(session);
    o.endSessions(session.user.id, [session.tokenHash]);
    return c.body(null, 204);
  });

  // Session controls: tickets for the WebSocket, the session list, revocation, password change.
  app.post("/api/ws-ticket", async (c) => c.json(await o.sessions.ticket(c.get("session"))));
  app.get("/api/sessions", async (c) =>
    c.json({ sessions: await o.sessions.list(c.get("session")) }),
  );
  app.delete("/api/sessions", async (c) =>
    c.json({ revoked: await o.sessions.revokeOthers(c.get("session")) }),
  );
  app.delete("/api/sessions/:id", async (c) => {
    await o.sessions.revoke(c.get("session"), c.req.param("id"));
    return c.body(null, 204);
  });
  app.post("/api/password", async (c) => {
    const { current, password } = await jsonBody(c, passwordChange);
    const revoked = await o.sessions.changePassword(c.get("session"), current, password, c.env.ip);
    return c.json({ revoked });
  });

  app.get("/api/me", (c) => {
    const session = c.get("session");
    return c.json({ user: session.user, expiresAt: session.expiresAt });
  });

  app.get("/api/rooms", async (c) => {
    const session = c.get("session");
    const query = await parse(roomsQuery, c.req.query());
    const listed = await chat.listRooms(session.user, query);
    return c.json({ ...listed, rooms: listed.rooms.filter((r) => inScope(session, r.id)) });
  });

  app.post("/api/rooms", async (c) => {
    const { name, topic, visibility } = await jsonBody(c, newRoom);
    const room = await chat.createRoom(c.get("session").user, name, topic, visibility);
    return c.json({ room }, 201);
  });

  app.post("/api/rooms/:id/join", async (c) => {
    const room = await parse(roomParam, c.req.param("id"));
    return c.json({ room: await chat.join(c.get("session").user, { room }) });
  });

  app.post("/api/rooms/:id/leave", async (c) => {
    const room = await parse(roomParam, c.req.param("id"));
    await chat.leave(c.get("session").user, room);
    return c.body(null, 204);
  });

  // Routes that name a room declare what they need there, as WebSocket commands do.
  const member = requires(o.access, MEMBER);

  app.get("/api/rooms/:id/messages", member, async (c) => {
    const room = await parse(roomParam, c.req.param("id"));
    const query = await parse(historyQuery, c.req.query());
    return c.json({ room, ...(await chat.historyOf(room, query)) });
  });

  app.get("/api/rooms/:id/members", member, async (c) => {
    const room = await parse(roomParam, c.req.param("id"));
    return c.json({ room, members: await chat.membersOf(c.get("session").user, room) });
  });

  const files = o.files;
  if (files) {
    app.post("/api/rooms/:id/files", member, async (c) => {
      const room = await parse(roomParam, c.req.param("id"));
      const declared = c.req.header("content-length");
      const record = await files.upload(c.get("session").user, room, c.req.raw.body, {
        name: c.req.query("name"),
        type: c.req.header("content-type"),
        length: declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined,
      });
      return c.json({ file: fileView(record) }, 201);
    });

    app.get("/api/files/:id", (c) => files.download(c.get("session").user, c.req.param("id")));
  }

  if (o.bots) app.route("/", botRoutes(o.bots));
  app.route("/", searchRoutes(chat.search));
  if (o.communities) app.route("/", communityRoutes(o.communities));
  if (o.admin) app.route("/", adminRoutes(o.admin, auth));
  if (o.store) app.route("/", settingsRoutes(o.store, o.now));

  return app;
}
