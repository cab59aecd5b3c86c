/**
 * The HTTP side of the fuzzer: generated requests, one at a time, and a judgement of each
 * answer. Errors must be {code, message} with a catalogued code and its own status; successes
 * must have the documented shape. A logout with the lane's token is followed by a fresh login.
 */
import { z } from "zod";
import { ERRORS, member, message, roomSummary, userRef } from "../../src/protocol/index.ts";
import { login } from "./api.ts";
import type { HttpGenerator, HttpRequestSpec, Route } from "./http-generator.ts";
import type { FuzzStats } from "./stats.ts";
import { excerpt, type Violations } from "./violations.ts";

const session = z.object({ user: userRef, token: z.string().min(1), expiresAt: z.int() });

const SUCCESS: Partial<Record<Route, { status: number; schema?: z.ZodType }>> = {
  healthz: { status: 200, schema: z.object({ ok: z.literal(true), connections: z.int().min(0) }) },
  register: { status: 201, schema: session },
  login: { status: 200, schema: session },
  logout: { status: 204 },
  me: { status: 200, schema: z.object({ user: userRef, expiresAt: z.int() }) },
  rooms: { status: 200, schema: z.object({ rooms: z.array(roomSummary) }) },
  create: { status: 201, schema: z.object({ room: roomSummary }) },
  join: { status: 200, schema: z.object({ room: roomSummary }) },
  leave: { status: 204 },
  messages: {
    status: 200,
    schema: z.object({ room: z.int(), messages: z.array(message), more: z.boolean() }),
  },
  members: { status: 200, schema: z.object({ room: z.int(), members: z.array(member) }) },
};

const errorBody = z.object({
  code: z.string(),
  message: z.string().min(1),
  retryAfter: z.number().optional(),
});

export interface HttpLaneOptions {
  base: string;
  username: string;
  token: string;
  generator: HttpGenerator;
  requests: number;
  violations: Violations;
  stats: FuzzStats;
  /** Stop early when this says so (the WebSocket lanes are done). */
  stop?: () => boolean;
}

function authHeader(spec: HttpRequestSpec, token: string): string | undefined {
  switch (spec.auth) {
    case "valid":
      return `Bearer ${token}`;
    case "garbage":
      return "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    case "malformed":
      return `Bearer  ${token} extra`;
    default:
      return undefined;
  }
}

/** Why this answer is wrong, or undefined when it is a correct one. */
function judge(spec: HttpRequestSpec, status: number, text: string): string | undefined {
  if (status === 204) return text === "" ? undefined : "204 with a body";
  // The web app: the one answer that is a page, and only to GET (and HEAD) of "/".
  if (spec.path === "/" && (spec.method === "GET" || spec.method === "HEAD") && status === 200) {
    return text === "" || text.startsWith("<!doctype html>") ? undefined : "/ is not the web app";
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `status ${status} with a body that is not JSON`;
  }
  if (status >= 400) {
    const parsed = errorBody.safeParse(body);
    if (!parsed.success) return `error ${status} without {code, message}`;
    const { code } = parsed.data;
    if (!Object.hasOwn(ERRORS, code)) return `unknown error code ${code}`;
    if (code === "INTERNAL") return "INTERNAL: the server hit a bug (see its log)";
    const expected = ERRORS[code as keyof typeof ERRORS].status;
    if (expected !== status) return `${code} with status ${status}, catalogued as ${expected}`;
    return undefined;
  }
  const success = SUCCESS[spec.route];
  if (!success) return `${spec.method} ${spec.path} succeeded with ${status}`;
  if (success.status !== status) return `${spec.route} answered ${status}`;
  if (success.schema && !success.schema.safeParse(body).success) {
    return `${spec.route} answered a body of the wrong shape`;
  }
  return undefined;
}

export async function runHttpLane(o: HttpLaneOptions): Promise<void> {
  let token = o.token;
  for (let i = 0; i < o.requests && !o.stop?.(); i++) {
    const spec = o.generator.next();
    const headers: Record<string, string> = {};
    const auth = authHeader(spec, token);
    if (auth) headers.authorization = auth;
    if (spec.contentType) headers["content-type"] = spec.contentType;
    let status = 0;
    let text = "";
    try {
      const res = await fetch(o.base + spec.path, {
        method: spec.method,
        headers,
        body: spec.body,
        signal: AbortSignal.timeout(15_000),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      o.violations.add({
        invariant: "http-answer",
        detail: `${spec.method} ${spec.path} got no answer: ${String(err)}`,
      });
      continue;
    }
    o.stats.http.add(String(status));
    const problem = judge(spec, status, text);
    if (problem) {
      o.violations.add({
        invariant: "http-answer",
        detail: `${spec.method} ${excerpt(spec.path, 80)}: ${problem} (${excerpt(text, 120)})`,
        ...(spec.body !== undefined ? { input: excerpt(spec.body) } : {}),
      });
    }
    if (spec.route === "logout" && status === 204) {
      // The server may die between the logout and this login (the crash tests kill it on
      // purpose): that is a violation to report, not an exception that ends the lane.
      try {
        token = (await login(o.base, o.username)).token;
      } catch (err) {
        o.violations.add({
          invariant: "http-answer",
          detail: `login after logout got no answer: ${String(err)}`,
        });
      }
    }
  }
}
