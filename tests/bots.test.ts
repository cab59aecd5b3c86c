import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Message, ServerFrame, ServerFrameOf } from "../src/protocol/index.ts";
import {
  type Account,
  api,
  connect,
  createRoom,
  joinRoom,
  register,
  storedBodies,
  unique,
} from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

interface Issued {
  id: number;
  token: string;
  rooms: number[];
  url?: string;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function makeBot(owner: Account): Promise<{ id: number; name: string }> {
  const res = await api<{ bot: { id: number; name: string } }>(
    server.url,
    "POST",
    "/api/bots",
    { name: unique("bot") },
    owner.token,
  );
  expect(res.status).toBe(201);
  return res.body.bot;
}

async function apiToken(owner: Account, bot: number, rooms: number[]): Promise<Issued> {
  const res = await api<Issued>(
    server.url,
    "POST",
    `/api/bots/${bot}/tokens`,
    { rooms },
    owner.token,
  );
  expect(res.status).toBe(201);
  return res.body;
}

async function webhook(owner: Account, bot: number, room: number): Promise<Issued> {
  const res = await api<Issued>(
    server.url,
    "POST",
    `/api/bots/${bot}/webhooks`,
    { room },
    owner.token,
  );
  expect(res.status).toBe(201);
  return res.body;
}

function hook(path: string, body: unknown) {
  return api<{ ok: boolean; room: number; seq: number; duplicate: boolean; code?: string }>(
    server.url,
    "POST",
    path,
    body,
  );
}

describe("bot accounts", () => {
  it("are created by a user, listed for their owner only, and cannot log in", async () => {
    const owner = await register(server.url);
    const other = await register(server.url);
    const bot = await makeBot(owner);
    const mine = await api<{ bots: { id: number; owner: number }[] }>(
      server.url,
      "GET",
      "/api/bots",
      undefined,
      owner.token,
    );
    expect(mine.body.bots).toEqual([expect.objectContaining({ id: bot.id, owner: owner.user.id })]);
    const theirs = await api<{ bots: unknown[] }>(
      server.url,
      "GET",
      "/api/bots",
      undefined,
      other.token,
    );
    expect(theirs.body.bots).toEqual([]);
    const login = await api<{ code: string }>(server.url, "POST", "/api/login", {
      username: bot.name,
      password: "correct horse",
    });
    expect(login.body.code).toBe("INVALID_CREDENTIALS");
  });

  it("refuses another user's bot with BOT_NOT_FOUND, and a room the owner is not in with NOT_MEMBER", async () => {
    const owner = await register(server.url);
    const other = await register(server.url);
    const bot = await makeBot(owner);
    const room = await createRoom(server.url, owner.token);
    const elsewhere = await createRoom(server.url, other.token);
    const stolen = await api<{ code: string }>(
      server.url,
      "POST",
      `/api/bots/${bot.id}/tokens`,
      { rooms: [room] },
      other.token,
    );
    expect(stolen.body.code).toBe("BOT_NOT_FOUND");
    const outside = await api<{ code: string }>(
      server.url,
      "POST",
      `/api/bots/${bot.id}/tokens`,
      { rooms: [room, elsewhere] },
      owner.token,
    );
    expect(outside.body.code).toBe("NOT_MEMBER");
    const none = await api<{ code: string }>(
      server.url,
      "POST",
      `/api/bots/${bot.id}/tokens`,
      { rooms: [] },
      owner.token,
    );
    expect(none.body.code).toBe("INVALID");
    // A DM is never given to a bot, and a refused request joined the bot to nothing.
    await register(server.url, `dmpeer${owner.user.id}`);
    const ws = await connect(server.wsUrl, owner.token);
    const dm = await ws.request<ServerFrameOf<"dm">>({
      type: "dm",
      user: `dmpeer${owner.user.id}`,
    });
    await ws.close();
    const withDm = await api<{ code: string }>(
      server.url,
      "POST",
      `/api/bots/${bot.id}/tokens`,
      { rooms: [room, dm.room.id] },
      owner.token,
    );
    expect(withDm.body.code).toBe("ROOM_NOT_FOUND");
    const members = await api<{ members: { id: number }[] }>(
      server.url,
      "GET",
      `/api/rooms/${room}/members`,
      undefined,
      owner.token,
    );
    expect(members.body.members.map((m) => m.id)).toEqual([owner.user.id]);
  });
});

describe("a bot's API token", () => {
  it("cannot read or write a room it was not given, even one its bot belongs to", async () => {
    const owner = await register(server.url);
    const given = await createRoom(server.url, owner.token);
    const secret = await createRoom(server.url, owner.token);
    const bot = await makeBot(owner);
    const token = await apiToken(owner, bot.id, [given]);
    // The bot belongs to the secret room too, through another token: this one still may not.
    await apiToken(owner, bot.id, [secret]);
    const ws = await connect(server.wsUrl, owner.token);
    await ws.request({ type: "join", room: secret });
    await ws.request({ type: "send", room: secret, cid: unique("c"), body: "not for that bot" });

    for (const path of [`/api/rooms/${secret}/messages`, `/api/rooms/${secret}/members`]) {
      const res = await api<{ code: string }>(server.url, "GET", path, undefined, token.token);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("OUT_OF_SCOPE");
    }
    for (const path of ["/api/rooms", "/api/bots", `/api/rooms/${secret}/join`]) {
      const res = await api<{ code: string }>(server.url, "POST", path, { name: "x" }, token.token);
      expect(res.body.code).toBe("OUT_OF_SCOPE");
    }
    const listed = await api<{ rooms: { id: number }[] }>(
      server.url,
      "GET",
      "/api/rooms",
      undefined,
      token.token,
    );
    expect(listed.body.rooms.map((r) => r.id)).toEqual([given]);
    expect(
      (await api(server.url, "GET", `/api/rooms/${given}/messages`, undefined, token.token)).status,
    ).toBe(200);

    const botWs = await connect(server.wsUrl, token.token);
    const refused: [string, object][] = [
      ["join", { room: secret }],
      ["join", { name: "anything" }],
      [
        "resume",
        {
          rooms: [
            { room: given, after: 0 },
            { room: secret, after: 0 },
          ],
        },
      ],
      ["history", { room: secret }],
      ["members", { room: secret }],
      ["send", { room: secret, cid: unique("c"), body: "leak?" }],
      ["create", { name: unique("r") }],
      ["dm", { user: owner.user.name }],
      ["contacts", {}],
    ];
    for (const [type, fields] of refused) {
      const reply = await botWs.request<ServerFrame>({ type, ...fields } as never);
      expect(reply).toMatchObject({ type: "error", code: "OUT_OF_SCOPE" });
    }
    const joined = await botWs.request<ServerFrame>({ type: "join", room: given });
    expect(joined.type).toBe("joined");
    const ack = await botWs.request<ServerFrame>({
      type: "send",
      room: given,
      cid: unique("c"),
      body: "hello from the bot",
    });
    expect(ack.type).toBe("ack");
    // Nothing of the secret room ever reached the bot's socket.
    expect(botWs.frames.some((f) => "room" in f && f.room === secret)).toBe(false);
    await botWs.close();
    await ws.close();
  });

  it("is refused at once when revoked, and its open sockets are closed", async () => {
    const owner = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    const bot = await makeBot(owner);
    const token = await apiToken(owner, bot.id, [room]);
    const botWs = await connect(server.wsUrl, token.token);
    const revoked = await api(
      server.url,
      "DELETE",
      `/api/bots/${bot.id}/tokens/${token.id}`,
      undefined,
      owner.token,
    );
    expect(revoked.status).toBe(204);
    expect((await botWs.closed).code).toBe(4500);
    const me = await api<{ code: string }>(server.url, "GET", "/api/me", undefined, token.token);
    expect(me.body.code).toBe("UNAUTHENTICATED");
    await expect(connect(server.wsUrl, token.token)).rejects.toThrow();
    const again = await api<{ code: string }>(
      server.url,
      "DELETE",
      `/api/bots/${bot.id}/tokens/${token.id}`,
      undefined,
      owner.token,
    );
    expect(again.body.code).toBe("TOKEN_NOT_FOUND");
    const listed = await api<{ tokens: { id: number; revokedAt?: number }[] }>(
      server.url,
      "GET",
      `/api/bots/${bot.id}/tokens`,
      undefined,
      owner.token,
    );
    expect(listed.body.tokens).toEqual([
      expect.objectContaining({ id: token.id, revokedAt: expect.any(Number) }),
    ]);
  });
});

describe("incoming webhooks", () => {
  it("post into their one room and nowhere else, live and stored, once per id", async () => {
    const owner = await register(server.url);
    const reader = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    const other = await createRoom(server.url, owner.token);
    await joinRoom(server.url, reader.token, room);
    await joinRoom(server.url, reader.token, other);
    const ws = await connect(server.wsUrl, reader.token);
    await ws.request({ type: "join", room });
    await ws.request({ type: "join", room: other });
    const bot = await makeBot(owner);
    const hookToken = await webhook(owner, bot.id, room);
    expect(hookToken.url).toBe(`/api/hooks/${hookToken.token}`);

    // A body naming another room changes nothing: the hook's room is fixed.
    const posted = await hook(hookToken.url as string, {
      text: "build passed",
      room: other,
      id: "build-42",
    });
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ ok: true, room, duplicate: false });
    const live = (await ws.waitFor((f) => f.type === "msg" && f.room === room)) as Message;
    expect(live).toMatchObject({ body: "build passed", from: { id: bot.id, name: bot.name } });
    const retried = await hook(hookToken.url as string, { text: "build passed", id: "build-42" });
    expect(retried.body).toMatchObject({ room, seq: posted.body.seq, duplicate: true });
    expect(await storedBodies(server.url, owner.token, room)).toEqual(["build passed"]);
    expect(await storedBodies(server.url, owner.token, other)).toEqual([]);
    expect(ws.messages(other)).toEqual([]);

    // A webhook token is not a session.
    const me = await api<{ code: string }>(
      server.url,
      "GET",
      "/api/me",
      undefined,
      hookToken.token,
    );
    expect(me.body.code).toBe("UNAUTHENTICATED");
    const bad = await hook(hookToken.url as string, { message: "wrong field" });
    expect(bad.body.code).toBe("INVALID");
    await ws.close();
  });

  it("refuse a revoked or unknown token with UNAUTHENTICATED and store nothing", async () => {
    const owner = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    const bot = await makeBot(owner);
    const hookToken = await webhook(owner, bot.id, room);
    expect((await hook(hookToken.url as string, { text: "one" })).status).toBe(200);
    await api(
      server.url,
      "DELETE",
      `/api/bots/${bot.id}/tokens/${hookToken.id}`,
      undefined,
      owner.token,
    );
    const refused = await hook(hookToken.url as string, { text: "two" });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("UNAUTHENTICATED");
    const unknown = await hook(`/api/hooks/ph_${"A".repeat(43)}`, { text: "three" });
    expect(unknown.body.code).toBe("UNAUTHENTICATED");
    expect((await hook("/api/hooks/garbage", { text: "four" })).body.code).toBe("UNAUTHENTICATED");
    expect(await storedBodies(server.url, owner.token, room)).toEqual(["one"]);
  });
});
