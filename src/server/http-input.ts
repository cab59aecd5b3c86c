/** The HTTP API's environment, and reading its input with zod (a failed parse is INVALID). */
import type { Context, Env } from "hono";
import type { z } from "zod";
import { ParleyError } from "../protocol/index.ts";
import type { Session } from "./auth.ts";

/** The API's hono environment: the client's address, and the session once checked. */
export interface HttpEnv {
  Bindings: { ip: string };
  Variables: { session: Session };
}

export async function parse<T>(schema: z.ZodType<T>, value: unknown): Promise<T> {
  const result = await schema.safeParseAsync(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new ParleyError("INVALID", `${where}${issue?.message ?? "invalid request"}`);
}

export async function jsonBody<T, E extends Env>(c: Context<E>, schema: z.ZodType<T>): Promise<T> {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new ParleyError("INVALID", "The body must be JSON.");
  }
  return parse(schema, value);
}
