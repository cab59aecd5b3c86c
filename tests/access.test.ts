/**
 * Authorization in one place (src/server/access.ts): the requirement a WebSocket command declares
 * (requirements.ts) and the one an HTTP route declares (route-requirement.ts) are the same check,
 * with the same refusal, before anything runs; and a send is checked in TypeScript before it is
 * queued, even on the fast path.
 */
import { afterAll, afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import {
  type Account,
  api,
  connect,
  createRoom,
  register,
  storedBodies,
  type TestSocket,
  unique,
} from "./support/client.ts";
import { Cluster } from "./support/cluster.ts";
import { suiteServer } from "./support/server.ts";
import { assertReachable, postgresGate, redisGate } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const server = suiteServer();
const sockets: TestSocket[] = [];
afterAll(() => {
  for (const s of sockets) s.ws.close();
});

async function socket(a: Account): Promise<TestSocket> {
  const s = await connect(server.wsUrl, a.token);
  sockets.push(s);
  return s;
}

function call(method: string, path: string, who: Account, body?: unknown) {
  return api<{ code?: string }>(server.url, method, path, body, who.token);
}

type ErrorFrame = ServerFrameOf<"error">;

/** The code of the error answering each room frame this socket sends for `room`. */
async function frameCodes(ws: TestSocket, room: number): Promise<Record<string, string>> {
  const history = await ws.request<ErrorFrame>({ type: "history", room });
  const members = await ws.request<ErrorFrame>({ type: "members", room });
  const typing = await ws.request<ErrorFrame>({ type: "typing", room });
  const send = await ws.request<ErrorFrame>({ type: "send", room, cid: unique("c"), body: "hi" });
  return { history: history.code, members: members.code, typing: typing.code, send: send.code };
}

async function routeCodes(who: Account, room: number): Promise<Record<string, string>> {
  const history = await call("GET", `/api/rooms/${room}/messages`, who);
  const members = await call("GET", `/api/rooms/${room}/members`, who);
  return { history: history.body.code ?? "", members: members.body.code ?? "" };
}

describe("a room's declared requirement", () => {
  it("refuses a non-member of a public room with NOT_MEMBER on every frame and route", async () => {
    const owner = await register(server.url);
    const outsider = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    const ws = await socket(outsider);

    expect(await frameCodes(ws, room)).toEqual({
      history: "NOT_MEMBER",
      members: "NOT_MEMBER",
      typing: "NOT_MEMBER",
      send: "NOT_MEMBER",
    });
    expect(await routeCodes(outsider, room)).toEqual({
      history: "NOT_MEMBER",
      members: "NOT_MEMBER",
    });
    expect(await storedBodies(server.url, owner.token, room)).toEqual([]);
  });

  it("answers ROOM_NOT_FOUND for a private room to an outsider, exactly as for no room", async () => {
    const owner = await register(server.url);
    const outsider = await register(server.url);
    const created = await call("POST", "/api/rooms", owner, {
      name: unique("p"),
      visibility: "private",
    });
    const room = (created.body as unknown as { room: { id: number } }).room.id;
    const ws = await socket(outsider);
    const everywhere = {
      history: "ROOM_NOT_FOUND",
      members: "ROOM_NOT_FOUND",
      typing: "ROOM_NOT_FOUND",
      send: "ROOM_NOT_FOUND",
    };

    expect(await frameCodes(ws, room)).toEqual(everywhere);
    expect(await frameCodes(ws, room + 1_000_000)).toEqual(everywhere);
    const routes = { history: "ROOM_NOT_FOUND", members: "ROOM_NOT_FOUND" };
    expect(await routeCodes(outsider, room)).toEqual(routes);
    expect(await routeCodes(outsider, room + 1_000_000)).toEqual(routes);
  });

  it("refuses a right the member does not hold with NOT_ALLOWED, on the frame and the route", async () => {
    const owner = await register(server.url);
    const member = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    expect((await call("POST", `/api/rooms/${room}/join`, member)).status).toBe(200);
    const ws = await socket(member);

    const topic = await ws.request<ErrorFrame>({ type: "topic", room, topic: "mine now" });
    expect(topic.code).toBe("NOT_ALLOWED");
    const audit = await ws.request<ErrorFrame>({ type: "audit", room });
    expect(audit.code).toBe("NOT_ALLOWED");
    const invites = await call("GET", `/api/rooms/${room}/invites`, member);
    expect([invites.status, invites.body.code]).toEqual([403, "NOT_ALLOWED"]);
    const rename = await call("PUT", `/api/rooms/${room}/name`, member, { name: unique("n") });
    expect([rename.status, rename.body.code]).toEqual([403, "NOT_ALLOWED"]);

    const listed = await call("GET", "/api/rooms", owner);
    const summary = (listed.body as unknown as { rooms: { id: number; topic: string }[] }).rooms;
    expect(summary.find((r) => r.id === room)?.topic).toBe("");
  });
});

describe("the send path", () => {
  it("refuses the next send of an open socket whose user left the room, and stores nothing", async () => {
    const owner = await register(server.url);
    const member = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    expect((await call("POST", `/api/rooms/${room}/join`, member)).status).toBe(200);
    const ws = await socket(member);
    const first = await ws.request({ type: "send", room, cid: unique("c"), body: "while in" });
    expect(first.type).toBe("ack");

    expect((await call("POST", `/api/rooms/${room}/leave`, member)).status).toBe(204);
    const after = await ws.request<ErrorFrame>({
      type: "send",
      room,
      cid: unique("c"),
      body: "after leaving",
    });

    expect(after.code).toBe("NOT_MEMBER");
    expect(await storedBodies(server.url, owner.token, room)).toEqual(["while in"]);
  });

  it("keeps a connection's sends in order when one waits for a lookup and the next does not", async () => {
    const owner = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    const other = await createRoom(server.url, owner.token);
    const ws = await socket(owner);
    // Both rooms are known on this node already; a room never seen here needs a lookup.
    const fresh = await register(server.url);
    const unseen = await createRoom(server.url, fresh.token);
    expect((await call("POST", `/api/rooms/${unseen}/join`, owner)).status).toBe(200);

    const acks = await Promise.all([
      ws.request<ServerFrameOf<"ack">>({ type: "send", room: unseen, cid: unique("c"), body: "1" }),
      ws.request<ServerFrameOf<"ack">>({ type: "send", room, cid: unique("c"), body: "2" }),
      ws.request<ServerFrameOf<"ack">>({ type: "send", room: other, cid: unique("c"), body: "3" }),
    ]);

    expect(acks.map((a) => a.type)).toEqual(["ack", "ack", "ack"]);
    const order = ws.frames.filter((f) => f.type === "ack").map((f) => (f as { cid: string }).cid);
    expect(order.slice(-3)).toEqual(acks.map((a) => a.cid));
  });
});

const pg = await postgresGate();
const redis = await redisGate();
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.remove();
  cluster = undefined;
});

describe.skipIf(pg.skip || redis.skip)("the send path across two nodes", () => {
  it("stores nothing from a socket whose node still thinks its user is in the room they left on another", async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
    cluster = await Cluster.create();
    const one = await cluster.node();
    const two = await cluster.node();
    const owner = await register(one.url);
    const member = await register(one.url);
    const room = await createRoom(one.url, owner.token);
    expect(
      (await api(one.url, "POST", `/api/rooms/${room}/join`, undefined, member.token)).status,
    ).toBe(200);
    const ws = await connect(one.wsUrl, member.token);
    sockets.push(ws);
    expect((await ws.request({ type: "send", room, cid: unique("c"), body: "in" })).type).toBe(
      "ack",
    );

    // Node two removes the membership; node one's presence is not told (only kicks signal).
    const left = await api(two.url, "POST", `/api/rooms/${room}/leave`, undefined, member.token);
    expect(left.status).toBe(204);
    const after = await ws.request<ErrorFrame>({
      type: "send",
      room,
      cid: unique("c"),
      body: "out",
    });

    expect(after.code).toBe("NOT_MEMBER");
    expect(await storedBodies(one.url, owner.token, room)).toEqual(["in"]);
  });
});
