/**
 * What the community test files share (private rooms, invites, moderation, the room's timeline
 * and lifecycle): one server per file, started by `communityServer()`, and the calls its tests
 * make as one member or another.
 *
 * `server` is a live binding: it is assigned before the file's first test, so test bodies read
 * `server.url` as if the file had started the server itself.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import type { RoomSummary, ServerFrame } from "../../src/protocol/index.ts";
import { type Account, api, connect, type TestSocket, unique } from "./client.ts";
import { startTestServer, type TestServer } from "./server.ts";

export let server: TestServer;
const sockets: TestSocket[] = [];

/**
 * Starts the file's server before its first test and stops it, with every socket opened through
 * `socket()`, after its last. `now` is the server's clock: a test that expires things passes one
 * it can move ahead.
 */
export function communityServer(now?: () => number): void {
  beforeAll(async () => {
    server = await startTestServer({}, now ? { now } : {});
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) s.ws.close();
    await server.close();
  });
}

export async function socket(a: Account): Promise<TestSocket> {
  const s = await connect(server.wsUrl, a.token);
  sockets.push(s);
  return s;
}

export function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  who: Account,
  body?: unknown,
) {
  return api<T & { code?: string }>(server.url, method, path, body, who.token);
}

export async function room(owner: Account, visibility: "public" | "private" = "public") {
  const res = await call<{ room: RoomSummary }>("POST", "/api/rooms", owner, {
    name: unique("c"),
    visibility,
  });
  expect(res.status).toBe(201);
  return res.body.room;
}

export async function invite(owner: Account, roomId: number, body: object = {}) {
  const res = await call<{ invite: { id: number; code: string } }>(
    "POST",
    `/api/rooms/${roomId}/invites`,
    owner,
    body,
  );
  expect(res.status).toBe(201);
  return res.body.invite;
}

export async function accept(who: Account, code: string) {
  return call<{ room: RoomSummary }>("POST", `/api/invites/${code}/accept`, who);
}

export function moderate(who: Account, roomId: number, body: object) {
  return call("POST", `/api/rooms/${roomId}/moderation`, who, body);
}

export function errorCode(f: ServerFrame): string | undefined {
  return f.type === "error" ? f.code : undefined;
}
