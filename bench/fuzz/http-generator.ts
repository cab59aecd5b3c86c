/**
 * Generated HTTP requests at the API: real routes with mangled ids, queries, headers and bodies,
 * and some paths and methods that do not exist. Like the frame generator, a request depends
 * only on the seed: "the valid token" is filled in when it is sent.
 */
import { awkwardText, NUMBER_TOKENS, randomUnits } from "./corpus.ts";
import { members, objectText } from "./json-text.ts";
import { mutate } from "./mutation.ts";
import type { Random } from "./random.ts";

export type Route =
  | "healthz"
  | "register"
  | "login"
  | "logout"
  | "me"
  | "rooms"
  | "create"
  | "join"
  | "leave"
  | "messages"
  | "members"
  | "nowhere";

export type Auth = "valid" | "none" | "garbage" | "malformed";

export interface HttpRequestSpec {
  route: Route;
  method: string;
  path: string;
  auth: Auth;
  contentType: string | undefined;
  body: string | Uint8Array<ArrayBuffer> | undefined;
}

export interface HttpContext {
  rooms: readonly number[];
  maxBodyBytes: number;
}

const ID_TEXT = [
  "0",
  "-1",
  "1e400",
  "9007199254740993",
  "1.5",
  "abc",
  "%00",
  "%F0%9F%98%80",
  "1%20",
  "..%2F..",
  "00001",
  "0x1",
  "Infinity",
  "NaN",
  "%E2%80%AE1",
  "1;DROP TABLE rooms",
];

const GARBAGE_PATHS = [
  "/",
  "/api",
  "/api/",
  "/api/rooms/",
  "/api//rooms",
  "/api/rooms/1/messages/2",
  "/API/ROOMS",
  "/%2e%2e/etc/passwd",
  "/ws",
  "/healthz/",
  "/api/register/",
];

export class HttpGenerator {
  constructor(
    private readonly rng: Random,
    private readonly ctx: HttpContext,
  ) {}

  next(): HttpRequestSpec {
    const rng = this.rng;
    const route = rng.weighted<Route>([
      [3, "healthz"],
      [1, "register"],
      [1, "login"],
      [1, "logout"],
      [3, "me"],
      [4, "rooms"],
      [5, "create"],
      [5, "join"],
      [3, "leave"],
      [8, "messages"],
      [4, "members"],
      [4, "nowhere"],
    ]);
    const auth = rng.weighted<Auth>([
      [8, "valid"],
      [1, "none"],
      [1, "garbage"],
      [1, "malformed"],
    ]);
    const spec: HttpRequestSpec = {
      route,
      method: "GET",
      path: "/",
      auth: route === "logout" && auth === "valid" && rng.chance(0.7) ? "garbage" : auth,
      contentType: undefined,
      body: undefined,
    };
    const id = () => (rng.chance(0.7) ? String(rng.pick(this.ctx.rooms)) : rng.pick(ID_TEXT));
    switch (route) {
      case "healthz":
        return { ...spec, path: "/healthz" };
      case "register":
      case "login":
        return this.withBody(
          { ...spec, method: "POST", path: `/api/${route}` },
          {
            username: rng.chance(0.5)
              ? `fz${rng.int(0, 1e9).toString(36)}`
              : awkwardText(rng, rng.int(0, 40)),
            password: rng.chance(0.5) ? "fuzz and soak" : awkwardText(rng, rng.int(0, 300)),
          },
        );
      case "logout":
        return { ...spec, method: "POST", path: "/api/logout" };
      case "me":
        return { ...spec, path: "/api/me" };
      case "rooms":
        return { ...spec, path: "/api/rooms" };
      case "create":
        return this.withBody(
          { ...spec, method: "POST", path: "/api/rooms" },
          {
            name: rng.chance(0.5)
              ? `fh${rng.int(0, 1e9).toString(36)}`
              : awkwardText(rng, rng.int(0, 40)),
            topic: rng.chance(0.5) ? awkwardText(rng, rng.int(0, 220)) : undefined,
          },
        );
      case "join":
      case "leave":
        return { ...spec, method: "POST", path: `/api/rooms/${id()}/${route}` };
      case "members":
        return { ...spec, path: `/api/rooms/${id()}/members` };
      case "messages":
        return { ...spec, path: `/api/rooms/${id()}/messages${this.query()}` };
      default:
        return {
          ...spec,
          method: rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
          path: rng.chance(0.6)
            ? rng.pick(GARBAGE_PATHS)
            : `/api/${encodeURIComponent(randomUnits(rng, 8).toWellFormed())}`,
        };
    }
  }

  private query(): string {
    const rng = this.rng;
    const value = () =>
      rng.chance(0.6) ? String(rng.int(0, 60)) : encodeURIComponent(rng.pick(NUMBER_TOKENS));
    const parts: string[] = [];
    for (const name of ["before", "after", "limit"])
      if (rng.chance(0.4)) parts.push(`${name}=${value()}`);
    if (rng.chance(0.1)) parts.push(`limit=${value()}`);
    if (rng.chance(0.05)) parts.push("limit");
    return parts.length > 0 ? `?${parts.join("&")}` : "";
  }

  private withBody(spec: HttpRequestSpec, valid: Record<string, unknown>): HttpRequestSpec {
    const rng = this.rng;
    const contentType = rng.weighted<string | undefined>([
      [8, "application/json"],
      [1, undefined],
      [1, "text/plain"],
      [1, "application/json; charset=latin1"],
    ]);
    const body = rng.weighted<() => string | Uint8Array<ArrayBuffer>>([
      [5, () => objectText(members(valid))],
      [5, () => mutate(rng, members(valid))],
      [1, () => rng.bytes(rng.int(0, 200))],
      [1, () => ""],
      [1, () => this.sized(rng.pick([this.ctx.maxBodyBytes, this.ctx.maxBodyBytes + 1]))],
    ])();
    return { ...spec, contentType, body };
  }

  /** A JSON body of exactly `bytes` bytes. */
  private sized(bytes: number): string {
    const head = '{"name":"x","pad":"';
    return `${head}${"y".repeat(Math.max(0, bytes - head.length - 2))}"}`;
  }
}
