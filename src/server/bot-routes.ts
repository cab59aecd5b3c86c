/**
 * HTTP routes for bots: managing them (a person's session) and incoming webhooks (the token in
 * the path is the credential). Mounted by http.ts; docs/protocol.md describes each.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ParleyError } from "../protocol/index.ts";
import type { Session } from "./auth.ts";
import { BOT_TOKEN_ROOMS_MAX, type Bots, WEBHOOK_TOKEN_PREFIX } from "./bots.ts";

/** The parent app (http.ts) has set the session by the time these routes run. */
interface BotEnv {
  Variables: { session: Session };
}

/** Like http.ts's helpers (not imported from there: http.ts mounts this module). */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new ParleyError("INVALID", `${where}${issue?.message ?? "invalid request"}`);
}

async function jsonBody<T>(c: Context<BotEnv>, schema: z.ZodType<T>): Promise<T> {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new ParleyError("INVALID", "The body must be JSON.");
  }
  return parse(schema, value);
}

const id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const newBot = z.object({ name: z.string().max(64) });
const newToken = z.object({ rooms: z.array(id).min(1).max(BOT_TOKEN_ROOMS_MAX) });
const newWebhook = z.object({ room: id });
/** Slack's and Mattermost's shape: {"text": "..."}; `id` makes a retried post idempotent. */
const hookPost = z.object({
  text: z.string().max(100_000),
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
});
const WEBHOOK_TOKEN = /^ph_[A-Za-z0-9_-]{43}$/;

/** POST /api/hooks/:token — mounted before the session middleware: the token is the credential. */
export function webhookRoutes(bots: Bots): Hono<BotEnv> {
  const app = new Hono<BotEnv>();
  app.post("/api/hooks/:token", async (c) => {
    const token = c.req.param("token");
    if (!token.startsWith(WEBHOOK_TOKEN_PREFIX) || !WEBHOOK_TOKEN.test(token)) {
      throw new ParleyError("UNAUTHENTICATED", "No such webhook, or it was revoked.");
    }
    const { text, id: cid } = await jsonBody(c, hookPost);
    const outcome = await bots.post(token, text, cid);
    if (!outcome.ok) throw outcome.error;
    const m = outcome.message;
    return c.json({ ok: true, room: m.room, seq: m.seq, duplicate: outcome.duplicate });
  });
  return app;
}

/** /api/bots… — a person's session manages the bots they own. */
export function botRoutes(bots: Bots): Hono<BotEnv> {
  const app = new Hono<BotEnv>();
  app.post("/api/bots", async (c) => {
    const { name } = await jsonBody(c, newBot);
    return c.json({ bot: await bots.create(c.get("session").user, name) }, 201);
  });

  app.get("/api/bots", async (c) => c.json({ bots: await bots.list(c.get("session").user) }));

  app.get("/api/bots/:id/tokens", async (c) => {
    const bot = parse(id, c.req.param("id"));
    return c.json({ tokens: await bots.tokens(c.get("session").user, bot) });
  });

  app.post("/api/bots/:id/tokens", async (c) => {
    const bot = parse(id, c.req.param("id"));
    const { rooms } = await jsonBody(c, newToken);
    return c.json(await bots.issueApiToken(c.get("session").user, bot, rooms), 201);
  });

  app.post("/api/bots/:id/webhooks", async (c) => {
    const bot = parse(id, c.req.param("id"));
    const { room } = await jsonBody(c, newWebhook);
    const issued = await bots.issueWebhook(c.get("session").user, bot, room);
    return c.json({ ...issued, url: `/api/hooks/${issued.token}` }, 201);
  });

  app.delete("/api/bots/:id/tokens/:token", async (c) => {
    const bot = parse(id, c.req.param("id"));
    const token = parse(id, c.req.param("token"));
    await bots.revoke(c.get("session").user, bot, token);
    return c.body(null, 204);
  });
  return app;
}
