/**
 * The HTTP routes of server administration (/api/admin/*, admins only) and of deleting one's
 * own account (DELETE /api/account). Rights are checked in admin.ts.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ParleyError } from "../protocol/index.ts";
import type { Admin } from "./admin.ts";
import type { Auth } from "./auth.ts";
import { type HttpEnv, jsonBody, parse } from "./http-input.ts";

const name = z.string().min(1).max(64);
const password = z.string().max(1024);
const reason = z.string().max(500).optional();
const roomParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const usersQuery = z.object({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const USER_ACTIONS = ["promote", "demote", "disable", "enable", "delete"] as const;

export function adminRoutes(admin: Admin, auth: Auth): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  const actor = (c: { get(key: "session"): { user: { id: number; name: string } } }) =>
    c.get("session").user;

  app.get("/api/admin/users", async (c) => {
    const q = await parse(usersQuery, c.req.query());
    return c.json({ users: await admin.listUsers(actor(c), q.after, q.limit) });
  });

  app.post("/api/admin/users", async (c) => {
    const body = await jsonBody(c, z.object({ username: name, password }));
    return c.json({ user: await admin.createUser(actor(c), body.username, body.password) }, 201);
  });

  app.post("/api/admin/users/:name/password", async (c) => {
    const body = await jsonBody(c, z.object({ password }));
    await admin.resetPassword(actor(c), c.req.param("name"), body.password);
    return c.body(null, 204);
  });

  app.post("/api/admin/users/:name/:action", async (c) => {
    const action = await parse(z.enum(USER_ACTIONS), c.req.param("action"));
    const body = await jsonBody(c, z.object({ reason }));
    const who = c.req.param("name");
    const by = actor(c);
    if (action === "promote" || action === "demote") {
      await admin.setAdmin(by, who, action === "promote");
    } else if (action === "delete") await admin.deleteAccount(by, who, body.reason);
    else await admin.setDisabled(by, who, action === "disable", body.reason);
    return c.body(null, 204);
  });

  app.get("/api/admin/rooms", async (c) => c.json({ rooms: await admin.listRooms(actor(c)) }));

  app.delete("/api/admin/rooms/:id", async (c) => {
    const room = await parse(roomParam, c.req.param("id"));
    await admin.deleteRoom(actor(c), room);
    return c.body(null, 204);
  });

  app.get("/api/admin/registration", async (c) =>
    c.json({ mode: await admin.registration(actor(c)) }),
  );

  app.put("/api/admin/registration", async (c) => {
    const body = await jsonBody(c, z.object({ mode: z.string().max(16) }));
    await admin.setRegistration(actor(c), body.mode);
    return c.body(null, 204);
  });

  app.post("/api/admin/invites", async (c) => {
    const body = await jsonBody(
      c,
      z.object({
        seconds: z.number().int().optional(),
        uses: z.number().int().optional(),
      }),
    );
    return c.json({ invite: await admin.createInvite(actor(c), body.seconds, body.uses) }, 201);
  });

  app.get("/api/admin/audit", async (c) => c.json({ entries: await admin.auditLog(actor(c)) }));

  // One's own account: the password proves it is the owner at the keyboard.
  app.delete("/api/account", async (c) => {
    const body = await jsonBody(c, z.object({ password }));
    const me = actor(c);
    await auth.verify(me.name, body.password, c.env.ip).catch((err: unknown) => {
      if (err instanceof ParleyError && err.code === "INVALID_CREDENTIALS") {
        throw new ParleyError("WRONG_PASSWORD");
      }
      throw err;
    });
    await admin.deleteOwnAccount(me);
    return c.body(null, 204);
  });

  return app;
}
