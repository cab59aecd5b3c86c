import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { RedisClient } from "bun";
import type { SqliteStore } from "../db/store-sqlite.ts";
import { Counter, Histogram } from "../src/server/metrics-registry.ts";
import { api, connect, createRoom, register, type TestSocket, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import {
  assertReachable,
  killRedisClients,
  REDIS_URL,
  redisGate,
  runId,
  waitFor,
} from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** Every metric the issue names, as Prometheus sees it (histograms by their _count series). */
const NAMED = [
  "parley_connections_open",
  "parley_users_online",
  "parley_messages_accepted_total",
  "parley_messages_delivered_total",
  "parley_messages_replayed_total",
  "parley_commit_batch_size_count",
  "parley_commit_seconds_count",
  "parley_replays_total",
  "parley_resumes_total",
  "parley_gap_frames_total",
  "parley_rate_limited_total",
  "parley_strikes_total",
  "parley_errors_total",
  "parley_bus_publish_lag_seconds_count",
  "parley_bus_reconnects_total",
  "parley_store_errors_total",
  "parley_logins_total",
  "parley_registrations_total",
  "parley_event_loop_lag_seconds",
];

/** Parses the exposition into `name{labels}` → value; also checks every sample has a TYPE. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (type) typed.add(type[1] as string);
    if (line.startsWith("#")) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const name = match[1] as string;
    const family = name.replace(/_(bucket|sum|count)$/, "");
    if (!typed.has(name) && !typed.has(family)) throw new Error(`sample before its TYPE: ${line}`);
    samples.set(`${name}${match[2] ?? ""}`, Number(match[3]));
  }
  return samples;
}

async function scrape(server: TestServer): Promise<Map<string, number>> {
  const res = await fetch(server.metricsUrl as string);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return parse(await res.text());
}

describe("the registry's text", () => {
  it("renders histogram buckets cumulatively, a value past every bound (or NaN) only in +Inf", () => {
    const h = new Histogram("h_seconds", "help", [0.001, 0.01, 1]);
    for (const v of [0.0001, 0.001, 0.003, 7, Number.NaN]) h.observe(v);
    h.observe(0.5, { node: "b" });
    const text = h.render();
    expect(text).toContain('h_seconds_bucket{le="0.001"} 2\nh_seconds_bucket{le="0.01"} 3\n');
    expect(text).toContain('h_seconds_bucket{le="1"} 3\nh_seconds_bucket{le="+Inf"} 5\n');
    expect(text).toContain("h_seconds_count 5\n");
    expect(text).toContain(
      'h_seconds_bucket{node="b",le="0.01"} 0\nh_seconds_bucket{node="b",le="1"} 1\n',
    );
  });

  it("keeps an unlabelled counter and its labelled series apart", () => {
    const c = new Counter("c_total", "help");
    c.inc();
    c.inc(undefined, 31);
    c.inc({ reason: "x" });
    expect(c.value()).toBe(32);
    expect(c.value({ reason: "x" })).toBe(1);
    expect(c.render()).toBe(
      '# HELP c_total help\n# TYPE c_total counter\nc_total 32\nc_total{reason="x"} 1\n',
    );
  });
});

describe("metrics", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ metricsPort: 0, replayMax: 2 });
  });
  afterAll(() => server.close());

  it("are off unless --metrics-port is given", async () => {
    const plain = await startTestServer();
    try {
      expect(plain.metricsUrl).toBeUndefined();
      expect((await fetch(`${plain.url}/metrics`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it("serve every named metric in the text format on the host address, and nothing else", async () => {
    expect(server.metricsUrl).toStartWith("http://127.0.0.1:");
    expect(new URL(server.metricsUrl as string).port).not.toBe(String(server.port));
    const samples = await scrape(server);
    for (const name of NAMED) {
      expect([...samples.keys()].some((k) => k === name || k.startsWith(`${name}{`))).toBe(true);
    }
    const base = new URL(server.metricsUrl as string).origin;
    expect((await fetch(`${base}/api/me`)).status).toBe(404);
    expect((await fetch(server.metricsUrl as string, { method: "POST" })).status).toBe(405);
  });

  it("move when their events happen", async () => {
    const before = await scrape(server);
    const moved = (after: Map<string, number>, key: string) =>
      (after.get(key) ?? 0) - (before.get(key) ?? 0);

    const alice = await register(server.url);
    const bob = await register(server.url);
    await api(server.url, "POST", "/api/login", {
      username: alice.user.name,
      password: "correct horse",
    });
    await api(server.url, "POST", "/api/login", {
      username: alice.user.name,
      password: "wrong!!!",
    });
    // Five failures per account, then the account is throttled.
    const victim = unique();
    for (let i = 0; i < 6; i++) {
      await api(server.url, "POST", "/api/login", { username: victim, password: "wrong!!!" });
    }
    await api(server.url, "GET", "/api/me");

    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    const b = await connect(server.wsUrl, bob.token);
    await a.request({ type: "join", room });
    await b.request({ type: "join", room });
    for (let i = 0; i < 3; i++) {
      await a.request({ type: "send", room, cid: unique("c"), body: `hello ${i}` });
    }
    await b.waitForMessages(room, 3);
    // Resuming from 0 misses more than --replay-max (2) messages: a gap frame.
    await b.request({ type: "resume", rooms: [{ room, after: 0 }] });
    await a.request({ type: "send", room: 999_999, cid: unique("c"), body: "nowhere" });
    a.raw("not json");
    await a.waitFor((f) => f.type === "error" && f.code === "BAD_FRAME");

    const during = await scrape(server);
    expect(during.get("parley_connections_open")).toBe(2);
    expect(during.get("parley_users_online")).toBe(2);
    await flood(await connect(server.wsUrl, (await register(server.url)).token));
    // A real store fault: the store's own connection refuses writes for one send.
    const db = (server.store as SqliteStore).db;
    db.run("PRAGMA query_only = ON");
    const failed = await a.request({ type: "send", room, cid: unique("c"), body: "lost" });
    db.run("PRAGMA query_only = OFF");
    expect(failed).toMatchObject({ type: "error", code: "UNAVAILABLE" });
    blockEventLoop(700);
    await Bun.sleep(600);

    const after = await scrape(server);
    expect(moved(after, "parley_registrations_total")).toBe(3);
    expect(moved(after, 'parley_logins_total{result="ok"}')).toBe(1);
    expect(moved(after, 'parley_logins_total{result="failed"}')).toBe(6);
    expect(moved(after, 'parley_logins_total{result="throttled"}')).toBe(1);
    expect(moved(after, 'parley_rate_limited_total{reason="login"}')).toBe(1);
    expect(moved(after, "parley_messages_accepted_total")).toBe(3);
    // The 3 messages to both sockets, and bob's join (an event of the log) to alice's.
    expect(moved(after, "parley_messages_delivered_total")).toBe(7);
    expect(moved(after, "parley_commit_batch_size_count")).toBeGreaterThanOrEqual(3);
    // Three messages and one failed send went to commit. Bob's join is stored in the membership
    // change's own transaction, not the commit queue; the send to no room was refused before it,
    // in TypeScript (access.ts), not by the store.
    expect(moved(after, "parley_commit_batch_size_sum")).toBe(4);
    expect(moved(after, "parley_commit_seconds_count")).toBeGreaterThanOrEqual(3);
    // Published: the join event and the three messages.
    expect(moved(after, "parley_bus_publish_lag_seconds_count")).toBe(4);
    expect(moved(after, "parley_replays_total")).toBe(3);
    // Bob's join replays his join event to him; the resume replays the newest two entries.
    expect(moved(after, "parley_messages_replayed_total")).toBe(3);
    expect(moved(after, "parley_resumes_total")).toBe(1);
    expect(moved(after, "parley_gap_frames_total")).toBe(1);
    expect(moved(after, 'parley_errors_total{code="UNAUTHENTICATED"}')).toBe(1);
    expect(moved(after, 'parley_errors_total{code="INVALID_CREDENTIALS"}')).toBe(6);
    expect(moved(after, 'parley_errors_total{code="ROOM_NOT_FOUND"}')).toBe(1);
    expect(moved(after, 'parley_errors_total{code="BAD_FRAME"}')).toBe(1 + STRIKES_TO_CLOSE);
    expect(moved(after, 'parley_errors_total{code="UNAVAILABLE"}')).toBe(1);
    expect(moved(after, 'parley_strikes_total{reason="invalid_frame"}')).toBe(1 + STRIKES_TO_CLOSE);
    expect(moved(after, 'parley_rate_limited_total{reason="frames"}')).toBeGreaterThan(0);
    expect(moved(after, 'parley_strikes_total{reason="closed"}')).toBe(1);
    expect(moved(after, "parley_store_errors_total")).toBe(1);
    expect(after.get("parley_event_loop_lag_seconds")).toBeGreaterThan(0.1);
    await a.close();
    await b.close();
    await waitFor(async () => (await scrape(server)).get("parley_connections_open") === 0, "close");
    expect((await scrape(server)).get("parley_users_online")).toBe(0);
  });

  it("count connections refused by a cap", async () => {
    const capped = await startTestServer({ metricsPort: 0, maxConnectionsPerUser: 1 });
    try {
      const carol = await register(capped.url);
      const first = await connect(capped.wsUrl, carol.token);
      await expect(connect(capped.wsUrl, carol.token)).rejects.toThrow();
      const samples = await scrape(capped);
      expect(samples.get('parley_rate_limited_total{reason="connections"}')).toBe(1);
      await first.close();
    } finally {
      await capped.close();
    }
  });
});

describe("metrics with Redis", async () => {
  const redis = await redisGate();
  it.skipIf(redis.skip)("count a bus reconnect", async () => {
    assertReachable("Redis", redis);
    const prefix = `parley_metrics_${runId()}`;
    const server = await startTestServer({
      metricsPort: 0,
      redisUrl: REDIS_URL,
      redisPrefix: prefix,
    });
    const admin = new RedisClient(REDIS_URL);
    try {
      expect((await scrape(server)).get("parley_bus_reconnects_total")).toBe(0);
      expect(await killRedisClients(admin, `${prefix}:`)).toBeGreaterThan(0);
      await waitFor(
        async () => ((await scrape(server)).get("parley_bus_reconnects_total") ?? 0) >= 1,
        "a bus reconnect",
      );
    } finally {
      admin.close();
      await server.close();
    }
  });
});

/**
 * Sends pings far past the burst (refused RATE_LIMITED, no strike: the socket stays), then
 * STRIKES_TO_CLOSE invalid frames, and the server closes the socket for strikes.
 */
async function flood(socket: TestSocket): Promise<void> {
  for (let i = 0; i < 200; i++) socket.raw(JSON.stringify({ type: "ping", id: `p${i}` }));
  await socket.waitFor((f) => f.type === "error" && f.code === "RATE_LIMITED");
  for (let i = 0; i < STRIKES_TO_CLOSE; i++) socket.raw("not json");
  expect((await socket.closed).code).toBe(1008);
}

/** The server's strike bucket holds 10: the 11th invalid frame in a burst closes the socket. */
const STRIKES_TO_CLOSE = 11;

/** Keeps the (in-process) server's event loop busy, as a slow handler would. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}
