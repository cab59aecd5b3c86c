/**
 * The HTTP routes of communities: moderation, the topic, room deletion, invite codes and the
 * audit log. Mounted by http.ts behind its session guard; each route that needs a right in its
 * room declares it (route-requirement.ts), as the WebSocket commands do (requirements.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Store } from "../../db/store.ts";
import { moderationAction, TOPIC_MAX_CHARS } from "../protocol/index.ts";
import type { Access } from "./access.ts";
import { roomAuditLog } from "./audit-log.ts";
import type { Chat } from "./chat.ts";
import { type HttpEnv, jsonBody, parse } from "./http-input.ts";
import type { Invitations } from "./invitations.ts";
import type { Moderation } from "./moderation.ts";
import type { Reports } from "./reports.ts";
import type { RoomRight } from "./roles.ts";
import { MEMBER, requires } from "./route-requirement.ts";

export interface CommunityRouteOptions {
  store: Store;
  access: Access;
  reports: Reports;
  chat: Chat;
  moderation: Moderation;
  invitations: Invitations;
}

const roomParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const reason = z.string().max(500);
const moderationBody = z.object({
  action: moderationAction,
  user: z.string().min(1).max(64),
  seconds: z
    .number()
    .int()
    .min(1)
    .max(366 * 24 * 3600)
    .optional(),
  reason: reason.optional(),
});
const topicBody = z.object({ topic: z.string().max(TOPIC_MAX_CHARS) });
const deleteBody = z.object({ reason: reason.optional() });
const renameBody = z.object({ name: z.string().max(64) });
const inviteUserBody = z.object({
  user: z.string().min(1).max(64),
  seconds: z
    .number()
    .int()
    .min(60)
    .max(90 * 24 * 3600)
    .optional(),
});
const inviteBody = z.object({
  seconds: z
    .number()
    .int()
    .min(60)
    .max(90 * 24 * 3600)
    .optional(),
  uses: z.number().int().min(1).max(1000).optional(),
});

export function communityRoutes(o: CommunityRouteOptions): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  const room = (id: string | undefined) => parse(roomParam, id);
  const may = (right: RoomRight) => requires(o.access, { room: right });
  // Moderation and invitations change who is in a room: not a group's (access.ts, notGroup).
  const notInGroup = requires(o.access, { notGroup: true });
  const mayInvite = requires(o.access, { room: "invite", notGroup: true });

  app.post("/api/rooms/:id/moderation", notInGroup, async (c) => {
    const body = await jsonBody(c, moderationBody);
    await o.moderation.moderate(c.get("session").user, {
      ...body,
      room: await room(c.req.param("id")),
    });
    return c.body(null, 204);
  });

  app.put("/api/rooms/:id/topic", may("topic"), async (c) => {
    const { topic } = await jsonBody(c, topicBody);
    await o.moderation.setTopic(c.get("session").user, await room(c.req.param("id")), topic);
    return c.body(null, 204);
  });

  app.post("/api/rooms/:id/invitations", mayInvite, async (c) => {
    const body = await jsonBody(c, inviteUserBody);
    const id = await room(c.req.param("id"));
    await o.invitations.users.invite(c.get("session").user, id, body.user, body.seconds);
    return c.body(null, 204);
  });

  app.get("/api/invitations", async (c) =>
    c.json({ invites: await o.invitations.users.mine(c.get("session").user) }),
  );

  app.post("/api/invitations/:room/:answer{accept|decline}", async (c) => {
    const user = c.get("session").user;
    const id = await room(c.req.param("room"));
    const accept = c.req.param("answer") === "accept";
    await o.invitations.users.answer(user, id, accept);
    if (!accept) return c.body(null, 204);
    return c.json({ room: await o.chat.join(user, { room: id }) });
  });

  app.put("/api/rooms/:id/name", may("lifecycle"), async (c) => {
    const { name } = await jsonBody(c, renameBody);
    await o.moderation.rename(c.get("session").user, await room(c.req.param("id")), name);
    return c.body(null, 204);
  });

  app.post("/api/rooms/:id/archive", may("lifecycle"), async (c) => {
    const text = await c.req.text();
    const body = text === "" ? {} : await parse(deleteBody, safeJson(text));
    await o.moderation.archive(c.get("session").user, await room(c.req.param("id")), body.reason);
    return c.body(null, 204);
  });

  app.delete("/api/rooms/:id", async (c) => {
    const text = await c.req.text();
    const body = text === "" ? {} : await parse(deleteBody, safeJson(text));
    await o.moderation.deleteRoom(
      c.get("session").user,
      await room(c.req.param("id")),
      body.reason,
    );
    return c.body(null, 204);
  });

  app.post("/api/rooms/:id/invites", mayInvite, async (c) => {
    const opts = await jsonBody(c, inviteBody);
    const invite = await o.invitations.create(
      c.get("session").user,
      await room(c.req.param("id")),
      opts,
    );
    return c.json({ invite }, 201);
  });

  app.get("/api/rooms/:id/invites", may("invite"), async (c) => {
    const id = await room(c.req.param("id"));
    return c.json({ room: id, invites: await o.invitations.list(id) });
  });

  app.delete("/api/rooms/:id/invites/:invite", may("invite"), async (c) => {
    const invite = await parse(roomParam, c.req.param("invite"));
    await o.invitations.revoke(c.get("session").user, await room(c.req.param("id")), invite);
    return c.body(null, 204);
  });

  app.post("/api/invites/:code/accept", async (c) => {
    const user = c.get("session").user;
    const id = await o.invitations.redeem(user, c.req.param("code"));
    return c.json({ room: await o.chat.join(user, { room: id }) });
  });

  app.get("/api/rooms/:id/audit", may("audit"), async (c) => {
    const id = await room(c.req.param("id"));
    return c.json({ room: id, entries: await roomAuditLog(o.store, id) });
  });

  app.post("/api/rooms/:id/reports", requires(o.access, MEMBER), async (c) => {
    const body = await jsonBody(c, z.object({ seq: z.number().int().min(1), reason: reason }));
    const id = await o.reports.report(
      c.get("session").user,
      await room(c.req.param("id")),
      body.seq,
      body.reason,
    );
    return c.json({ report: id }, 201);
  });

  app.get("/api/rooms/:id/reports", may("moderate"), async (c) => {
    const id = await room(c.req.param("id"));
    const open = c.req.query("all") === undefined;
    return c.json({ room: id, reports: await o.reports.list(id, open) });
  });

  app.post("/api/rooms/:id/reports/:report/resolve", may("moderate"), async (c) => {
    const body = await jsonBody(c, z.object({ outcome: reason }));
    const report = await parse(roomParam, c.req.param("report"));
    await o.reports.resolve(
      c.get("session").user,
      await room(c.req.param("id")),
      report,
      body.outcome,
    );
    return c.body(null, 204);
  });

  app.get("/api/admin/reports", async (c) =>
    c.json({ reports: await o.reports.all(c.get("session").user) }),
  );

  return app;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
