import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { connect as tcp } from "node:net";
import { api, connect, createRoom, joinRoom, register, type TestSocket } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { waitFor } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const UPGRADE = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

describe("browser origins", () => {
  it("refuses a WebSocket from a foreign origin with FORBIDDEN_ORIGIN, and allows its own", async () => {
    server = await startTestServer();
    const account = await register(server.url);
    const host = new URL(server.url).host;
    const upgrade = (origin: string) =>
      fetch(`${server?.url}/ws`, {
        headers: { ...UPGRADE, origin, authorization: `Bearer ${account.token}` },
      });
    const foreign = await upgrade("https://evil.example");
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: "FORBIDDEN_ORIGIN" });
    expect((await upgrade("null")).status).toBe(403);
    const own = new WebSocket(server.wsUrl, {
      headers: { origin: `http://${host}`, authorization: `Bearer ${account.token}` },
    } as unknown as string[]);
    const opened = await new Promise((resolve) => {
      own.addEventListener("open", () => resolve(true));
      own.addEventListener("error", () => resolve(false));
    });
    expect(opened).toBe(true);
    own.close();
  });

  it("refuses API calls from a foreign origin, unless configured", async () => {
    server = await startTestServer({ allowedOrigins: "https://chat.example.org" });
    const post = (origin: string) =>
      fetch(`${server?.url}/api/register`, {
        method: "POST",
        headers: { origin },
        body: JSON.stringify({ username: `o${Date.now() % 1e6}`, password: "password1" }),
      });
    const foreign = await post("https://evil.example");
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: "FORBIDDEN_ORIGIN" });
    expect((await post("https://chat.example.org")).status).toBe(201);
  });
});

describe("floods", () => {
  it("caps connections per address with TOO_MANY_CONNECTIONS", async () => {
    server = await startTestServer({ maxConnectionsPerAddress: 3 });
    const accounts = await Promise.all(
      [1, 2, 3, 4].map(() => register((server as TestServer).url)),
    );
    const open = await Promise.all(
      accounts.slice(0, 3).map((a) => connect((server as TestServer).wsUrl, a.token)),
    );
    const refused = await fetch(`${server.url}/ws`, {
      headers: { ...UPGRADE, authorization: `Bearer ${accounts[3]?.token}` },
    });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: "TOO_MANY_CONNECTIONS" });
    await open[0]?.close();
    // The place frees once the server has run its close handler, which on a loaded machine can
    // come later than any fixed wait: try again until the fourth account gets in.
    let again: TestSocket | undefined;
    await waitFor(async () => {
      again = await connect((server as TestServer).wsUrl, accounts[3]?.token as string).catch(
        () => undefined,
      );
      return again !== undefined;
    }, "a connection once one of the three closed");
    expect(again?.frames[0]?.type).toBe("hello");
  });

  it("rate-limits a message flood while another member's messages flow on", async () => {
    // The server's clock stands still, so the bucket refills nothing however long the nine acks
    // take on a loaded machine (at 10 a second slow acks let part of the second burst in; at 1 a
    // second, acks slower than about two seconds still would).
    const frozen = Date.now();
    server = await startTestServer({ rate: 1, burst: 10 }, { now: () => frozen });
    const flooder = await register(server.url);
    const calm = await register(server.url);
    const room = await createRoom(server.url, calm.token);
    await joinRoom(server.url, flooder.token, room);
    const f = await connect(server.wsUrl, flooder.token);
    const c = await connect(server.wsUrl, calm.token);
    await c.request({ type: "join", room });
    const flood = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        f.request({ type: "send", room, cid: `f${i}`, body: `flood ${i}` }),
      ),
    );
    const limited = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        f.request({ type: "send", room, cid: `g${i}`, body: `more ${i}` }),
      ),
    );
    expect(flood.every((r) => r.type === "ack")).toBe(true);
    expect(
      limited.filter((r) => r.type === "error" && r.code === "RATE_LIMITED").length,
    ).toBeGreaterThanOrEqual(3);
    const ack = await c.request({ type: "send", room, cid: "calm-1", body: "still here" });
    expect(ack).toMatchObject({ type: "ack" });
    const got = await c.waitFor((x) => x.type === "msg" && x.cid === "calm-1");
    expect(got).toMatchObject({ body: "still here" });
    await Promise.all([f.close(), c.close()]);
  });

  it("cuts an HTTP request that trickles in and never finishes", async () => {
    server = await startTestServer();
    const u = new URL(server.url);
    const socket = tcp({ host: u.hostname, port: Number(u.port) });
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n");
    const started = Date.now();
    await new Promise((resolve) => socket.once("close", resolve));
    // Bun cuts unfinished headers after about 12 s; allow for a loaded machine.
    expect(Date.now() - started).toBeLessThan(25_000);
    expect((await api(server.url, "GET", "/healthz")).status).toBe(200);
  }, 30_000);
});
