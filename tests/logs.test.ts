import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { api, connect, createRoom, register, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

type Line = Record<string, unknown> & { event: string };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const lines = (): Line[] => server.logs.map((l) => JSON.parse(l) as Line);

describe("structured logs", () => {
  it("give every HTTP line the request's id, echoed in X-Request-Id", async () => {
    const name = unique();
    const res = await fetch(`${server.url}/api/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: name, password: "correct horse" }),
    });
    expect(res.status).toBe(201);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    const mine = lines().filter((l) => l.req === id);
    expect(mine.map((l) => l.event)).toEqual(["user.registered", "http.request"]);
    expect(mine[1]).toMatchObject({ method: "POST", path: "/api/register", status: 201 });
    // Every access line has an id; no two requests share one.
    const access = lines().filter((l) => l.event === "http.request");
    expect(access.every((l) => typeof l.req === "string")).toBe(true);
    expect(new Set(access.map((l) => l.req)).size).toBe(access.length);
  });

  it("keep a proxy's own X-Request-Id, and refuse to echo a strange one", async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "edge-42.a" } });
    expect(kept.headers.get("x-request-id")).toBe("edge-42.a");
    const odd = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": 'a b"c' } });
    expect(odd.headers.get("x-request-id")).not.toBe('a b"c');
  });

  it("give every line logged for a WebSocket frame its connection id", async () => {
    const alice = await register(server.url);
    const ws = await connect(server.wsUrl, alice.token);
    const hello = await ws.request({ type: "create", name: unique("r") });
    expect(hello.type).toBe("created");
    const opened = lines().find((l) => l.event === "ws.open" && l.user === alice.user.id);
    const conn = opened?.conn;
    expect(typeof conn).toBe("number");
    const created = lines().find((l) => l.event === "room.created" && l.user === alice.user.id);
    expect(created?.conn).toBe(conn);
    expect(created?.req).toBeUndefined();
    await ws.close();
    const closed = lines().find((l) => l.event === "ws.close" && l.user === alice.user.id);
    expect(closed?.conn).toBe(conn);
  });

  it("never log a webhook's token, which is in its path", async () => {
    const owner = await register(server.url);
    const room = await createRoom(server.url, owner.token);
    const bot = await api<{ bot: { id: number } }>(
      server.url,
      "POST",
      "/api/bots",
      { name: unique("bot") },
      owner.token,
    );
    const hook = await api<{ token: string; url: string }>(
      server.url,
      "POST",
      `/api/bots/${bot.body.bot.id}/webhooks`,
      { room },
      owner.token,
    );
    expect((await api(server.url, "POST", hook.body.url, { text: "hi" })).status).toBe(200);
    expect(server.logs.join("\n")).not.toContain(hook.body.token);
    expect(lines().some((l) => l.path === "/api/hooks/…")).toBe(true);
  });
});
