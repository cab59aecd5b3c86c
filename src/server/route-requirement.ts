/**
 * The HTTP side of access.ts: a route under /api/rooms/:id declares what it needs of the user
 * in that room, as a WebSocket command does (requirements.ts), and this middleware checks it
 * with the same Access, after the session guard and before the handler.
 */
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Access, Requirement } from "./access.ts";
import { type HttpEnv, parse } from "./http-input.ts";

const roomParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const MEMBER: Requirement = { room: "member" };

export function requires(access: Access, need: Requirement): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const room = await parse(roomParam, c.req.param("id"));
    await access.check(c.get("session").user, room, need);
    await next();
  };
}
