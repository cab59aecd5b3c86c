/**
 * Session controls: single-use WebSocket tickets instead of the token in a URL, the session
 * list, revoking one or every other session, and a password change that revokes the others.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { Connection } from "../src/client-core/connection.ts";
import { type Account, api, connect, register } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

interface SessionView {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  agent: string;
  current: boolean;
}

async function login(account: Account, password = "correct horse", agent = "test-agent/1") {
  const res = await fetch(`${server.url}/api/login`, {
    method: "POST",
    headers: { "user-agent": agent },
    body: JSON.stringify({ username: account.user.name, password }),
  });
  return { status: res.status, body: (await res.json()) as { token: string; code?: string } };
}

async function ticket(token: string): Promise<string> {
  const res = await api<{ ticket: string }>(server.url, "POST", "/api/ws-ticket", undefined, token);
  expect(res.status).toBe(200);
  return res.body.ticket;
}

/** Opens /ws?ticket=… and resolves with "hello" or the close code. */
function openWithTicket(t: string): Promise<string> {
  const ws = new WebSocket(`${server.wsUrl}?ticket=${encodeURIComponent(t)}`);
  return new Promise((resolve) => {
    ws.addEventListener("message", (e) => {
      resolve(JSON.parse(String(e.data)).type);
      ws.close();
    });
    ws.addEventListener("error", () => resolve("refused"));
  });
}

describe("WebSocket tickets", () => {
  it("opens a socket with a ticket once, never twice, and never with a made-up one", async () => {
    const alice = await register(server.url);
    const t = await ticket(alice.token);
    expect(t).not.toContain(alice.token);
    expect(await openWithTicket(t)).toBe("hello");
    expect(await openWithTicket(t)).toBe("refused");
    expect(await openWithTicket("not-a-ticket")).toBe("refused");
  });

  it("gives no ticket without a session, and none works after its session is revoked", async () => {
    expect((await api(server.url, "POST", "/api/ws-ticket")).status).toBe(401);
    const alice = await register(server.url);
    const t = await ticket(alice.token);
    await api(server.url, "POST", "/api/logout", undefined, alice.token);
    expect(await openWithTicket(t)).toBe("refused");
  });
});

describe("the shared client connection", () => {
  it("opens its socket with a ticket and never puts the session token in a URL", async () => {
    const alice = await register(server.url);
    const urls: string[] = [];
    class Recording extends WebSocket {
      constructor(url: string | URL) {
        urls.push(String(url));
        super(url);
      }
    }
    const conn = new Connection({ server: server.url, token: alice.token, WebSocket: Recording });
    conn.start();
    await conn.ready();
    conn.close();
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url).toContain("?ticket=");
      expect(url).not.toContain(alice.token);
    }
  });
});

describe("the session list", () => {
  it("lists a user's sessions with the client and marks the current one", async () => {
    const alice = await register(server.url);
    const second = await login(alice, "correct horse", "parley-terminal/0.1");
    expect(second.status).toBe(200);
    const ws = await connect(server.wsUrl, second.body.token);
    const listed = await api<{ sessions: SessionView[] }>(
      server.url,
      "GET",
      "/api/sessions",
      undefined,
      alice.token,
    );
    expect(listed.body.sessions.length).toBe(2);
    const mine = listed.body.sessions.filter((s) => s.current);
    expect(mine.length).toBe(1);
    const other = listed.body.sessions.find((s) => !s.current) as SessionView;
    expect(other.agent).toBe("parley-terminal/0.1");
    expect(other.lastSeenAt).toBeGreaterThan(0);
    // Nothing in the list can be used as a token.
    expect(JSON.stringify(listed.body)).not.toContain(second.body.token);
    await ws.close();
  });

  it("revokes one session by id, closing its sockets with 4500, and refuses an unknown id", async () => {
    const alice = await register(server.url);
    const other = await login(alice);
    const ws = await connect(server.wsUrl, other.body.token);
    const listed = await api<{ sessions: SessionView[] }>(
      server.url,
      "GET",
      "/api/sessions",
      undefined,
      alice.token,
    );
    const target = listed.body.sessions.find((s) => !s.current) as SessionView;
    const gone = await api(
      server.url,
      "DELETE",
      `/api/sessions/${target.id}`,
      undefined,
      alice.token,
    );
    expect(gone.status).toBe(204);
    expect((await ws.closed).code).toBe(4500);
    expect((await api(server.url, "GET", "/api/me", undefined, other.body.token)).status).toBe(401);
    expect((await api(server.url, "GET", "/api/me", undefined, alice.token)).status).toBe(200);
    const again = await api<{ code: string }>(
      server.url,
      "DELETE",
      `/api/sessions/${target.id}`,
      undefined,
      alice.token,
    );
    expect(again.body.code).toBe("SESSION_NOT_FOUND");
    // Another user's session id is no one's to revoke.
    const bob = await register(server.url);
    const bobs = await api<{ sessions: SessionView[] }>(
      server.url,
      "GET",
      "/api/sessions",
      undefined,
      bob.token,
    );
    const bobId = (bobs.body.sessions[0] as SessionView).id;
    const foreign = await api<{ code: string }>(
      server.url,
      "DELETE",
      `/api/sessions/${bobId}`,
      undefined,
      alice.token,
    );
    expect(foreign.body.code).toBe("SESSION_NOT_FOUND");
    expect((await api(server.url, "GET", "/api/me", undefined, bob.token)).status).toBe(200);
  });

  it("logs out everywhere else, keeping the current session", async () => {
    const alice = await register(server.url);
    const others = [await login(alice), await login(alice)];
    const sockets = await Promise.all(others.map((o) => connect(server.wsUrl, o.body.token)));
    const res = await api<{ revoked: number }>(
      server.url,
      "DELETE",
      "/api/sessions",
      undefined,
      alice.token,
    );
    expect(res.body.revoked).toBe(2);
    for (const ws of sockets) expect((await ws.closed).code).toBe(4500);
    expect((await api(server.url, "GET", "/api/me", undefined, alice.token)).status).toBe(200);
  });
});

describe("password change", () => {
  it("changes the password, revokes the other sessions, and keeps this one", async () => {
    const alice = await register(server.url);
    const other = await login(alice);
    const ws = await connect(server.wsUrl, other.body.token);
    const changed = await api<{ revoked: number }>(
      server.url,
      "POST",
      "/api/password",
      { current: "correct horse", password: "a new battery staple" },
      alice.token,
    );
    expect(changed.status).toBe(200);
    expect(changed.body.revoked).toBe(1);
    expect((await ws.closed).code).toBe(4500);
    expect((await login(alice)).status).toBe(401);
    expect((await login(alice, "a new battery staple")).status).toBe(200);
    expect((await api(server.url, "GET", "/api/me", undefined, alice.token)).status).toBe(200);
  });

  it("refuses a wrong current password with WRONG_PASSWORD and a bad new one, changing nothing", async () => {
    const alice = await register(server.url);
    const wrong = await api<{ code: string }>(
      server.url,
      "POST",
      "/api/password",
      { current: "not my password", password: "a new battery staple" },
      alice.token,
    );
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe("WRONG_PASSWORD");
    const short = await api<{ code: string }>(
      server.url,
      "POST",
      "/api/password",
      { current: "correct horse", password: "short" },
      alice.token,
    );
    expect(short.body.code).toBe("INVALID_PASSWORD");
    expect((await login(alice)).status).toBe(200);
  });
});
