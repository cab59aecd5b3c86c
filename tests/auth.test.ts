import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { api, connect, register, type TestSocket, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { waitFor } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("accounts", () => {
  it("registers, logs in and logs out; the token then stops working", async () => {
    const name = unique();
    const reg = await api<{ token: string; user: { name: string } }>(
      server.url,
      "POST",
      "/api/register",
      {
        username: name,
        password: "a long password",
      },
    );
    expect(reg.status).toBe(201);
    expect(reg.body.user.name).toBe(name);

    const login = await api<{ token: string }>(server.url, "POST", "/api/login", {
      username: name.toUpperCase(),
      password: "a long password",
    });
    expect(login.status).toBe(200);
    const token = login.body.token;
    expect(token.length).toBeGreaterThanOrEqual(22); // >= 128 bits in base64url
    expect((await api(server.url, "GET", "/api/me", undefined, token)).status).toBe(200);

    expect((await api(server.url, "POST", "/api/logout", undefined, token)).status).toBe(204);
    const after = await api<{ code: string }>(server.url, "GET", "/api/me", undefined, token);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("UNAUTHENTICATED");
    // The registration's own session is separate and still valid.
    expect((await api(server.url, "GET", "/api/me", undefined, reg.body.token)).status).toBe(200);
  });

  it("refuses a duplicate username in a different case with USERNAME_TAKEN", async () => {
    const name = unique("case");
    await register(server.url, name.toLowerCase());
    const dup = await api<{ code: string }>(server.url, "POST", "/api/register", {
      username: name.toUpperCase(),
      password: "another password",
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe("USERNAME_TAKEN");
  });

  it("refuses bad usernames and passwords with coded errors and creates nothing", async () => {
    for (const username of ["ab", "x".repeat(33), "bad name", "évé", "semi;colon"]) {
      const res = await api<{ code: string }>(server.url, "POST", "/api/register", {
        username,
        password: "password1",
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("INVALID_USERNAME");
    }
    const name = unique("pw");
    const short = await api<{ code: string }>(server.url, "POST", "/api/register", {
      username: name,
      password: "short",
    });
    expect(short.body.code).toBe("INVALID_PASSWORD");
    const wrongType = await api<{ code: string }>(server.url, "POST", "/api/register", {
      username: name,
      password: 12345678,
    });
    expect(wrongType.body.code).toBe("INVALID");
    const login = await api<{ code: string }>(server.url, "POST", "/api/login", {
      username: name,
      password: "short",
    });
    expect(login.body.code).toBe("INVALID_CREDENTIALS");
  });

  it("gives an unknown user and a wrong password the same answer", async () => {
    const account = await register(server.url);
    const wrong = await api(server.url, "POST", "/api/login", {
      username: account.user.name,
      password: "not the password",
    });
    const unknown = await api(server.url, "POST", "/api/login", {
      username: unique("ghost"),
      password: "not the password",
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
  });

  it("stores argon2id password hashes and only hashes of session tokens", async () => {
    const account = await register(server.url, unique("h"), "hunter2hunter2");
    const db = new Database(join(server.dir, "parley.db"), { readonly: true });
    try {
      const user = db
        .query<{ password_hash: string }, [number]>("SELECT password_hash FROM users WHERE id = ?")
        .get(account.user.id);
      expect(user?.password_hash.startsWith("$argon2id$")).toBe(true);
      expect(user?.password_hash).not.toContain("hunter2");
      const sessions = db
        .query<{ token_hash: string }, [number]>(
          "SELECT token_hash FROM sessions WHERE user_id = ?",
        )
        .all(account.user.id);
      expect(sessions.length).toBe(1);
      expect(sessions[0]?.token_hash).not.toBe(account.token);
      expect(sessions[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      db.close();
    }
  });

  it("never logs passwords, tokens or message bodies", async () => {
    const account = await register(server.url, unique("log"), "secret-password-xyz");
    await api(server.url, "POST", "/api/login", {
      username: account.user.name,
      password: "wrong-password-xyz",
    });
    const room = await api<{ room: { id: number } }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: unique("lr") },
      account.token,
    );
    const ws = await connect(server.wsUrl, account.token);
    await ws.request({
      type: "send",
      room: room.body.room.id,
      cid: "c1",
      body: "body-text-never-logged",
    });
    await ws.close();
    const logs = server.logs.join("\n");
    expect(logs).toContain("login.failed");
    for (const secret of [
      "secret-password-xyz",
      "wrong-password-xyz",
      account.token,
      "body-text-never-logged",
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe("throttling", () => {
  it("throttles failed logins per account with THROTTLED and a Retry-After", async () => {
    const account = await register(server.url);
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await api<{ code: string }>(server.url, "POST", "/api/login", {
        username: account.user.name,
        password: "wrong password",
      });
      codes.push(res.body.code);
    }
    expect(codes.slice(0, 5)).toEqual(Array(5).fill("INVALID_CREDENTIALS"));
    expect(codes.slice(5)).toEqual(["THROTTLED", "THROTTLED"]);
    // Even the right password is refused while throttled: no oracle for a guesser.
    const right = await fetch(`${server.url}/api/login`, {
      method: "POST",
      body: JSON.stringify({ username: account.user.name, password: "correct horse" }),
    });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("throttles an unknown account exactly like a real one", async () => {
    const ghost = unique("ghost");
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api<{ code: string }>(server.url, "POST", "/api/login", {
        username: ghost,
        password: "wrong password",
      });
      codes.push(res.body.code);
    }
    expect(codes).toEqual([...Array(5).fill("INVALID_CREDENTIALS"), "THROTTLED"]);
  });

  it("throttles logins per address across accounts", async () => {
    const s = await startTestServer({ loginBurst: 3 });
    try {
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await api<{ code: string }>(s.url, "POST", "/api/login", {
          username: unique(),
          password: "whatever1",
        });
        codes.push(res.body.code);
      }
      expect(codes).toEqual([
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
        "THROTTLED",
      ]);
    } finally {
      await s.close();
    }
  });

  it("rate-limits registrations per address", async () => {
    const s = await startTestServer({ signupBurst: 2 });
    try {
      await register(s.url);
      await register(s.url);
      const res = await api<{ code: string }>(s.url, "POST", "/api/register", {
        username: unique(),
        password: "password1",
      });
      expect(res.status).toBe(429);
      expect(res.body.code).toBe("THROTTLED");
    } finally {
      await s.close();
    }
  });
});

describe("sessions on the WebSocket", () => {
  it("refuses an upgrade without a valid token with UNAUTHENTICATED", async () => {
    const res = await fetch(`${server.url}/ws`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
        authorization: "Bearer nope",
      },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("UNAUTHENTICATED");
  });

  it("refuses the long-lived token in the URL with UNAUTHENTICATED: browsers use a ticket", async () => {
    const account = await register(server.url);
    const res = await fetch(`${server.url}/ws?token=${account.token}`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("UNAUTHENTICATED");
  });

  it("closes a logged-out session's sockets with 4500", async () => {
    const account = await register(server.url);
    const ws = await connect(server.wsUrl, account.token);
    await api(server.url, "POST", "/api/logout", undefined, account.token);
    expect((await ws.closed).code).toBe(4500);
  });

  it("caps connections per user with TOO_MANY_CONNECTIONS", async () => {
    const s = await startTestServer({ maxConnectionsPerUser: 2 });
    try {
      const account = await register(s.url);
      const a = await connect(s.wsUrl, account.token);
      await connect(s.wsUrl, account.token);
      const refused = await fetch(`${s.url}/ws`, {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          authorization: `Bearer ${account.token}`,
        },
      });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { code: string }).code).toBe("TOO_MANY_CONNECTIONS");
      await a.close();
      // The place frees once the server has run its close handler, which on a loaded machine
      // can come later than any fixed wait: try again until the third connection gets in.
      let again: TestSocket | undefined;
      await waitFor(async () => {
        again = await connect(s.wsUrl, account.token).catch(() => undefined);
        return again !== undefined;
      }, "a connection once one of the two closed");
      expect(again?.frames[0]?.type).toBe("hello");
    } finally {
      await s.close();
    }
  });
});
