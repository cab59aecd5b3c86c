/**
 * One ordinary user against everyone else: HTTP rate limits per user and per address, the cap
 * on rooms created, a room list bounded at any number of rooms, frames priced by their cost,
 * and strikes kept for invalid frames only (over the rate is slowed down, not thrown out).
 */
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { RoomSummary, ServerFrameOf } from "../src/protocol/index.ts";
import { api, connect, createRoom, joinRoom, register, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * The server's clock for the rate tests: it stands still unless a test moves it, so the buckets
 * refill nothing while a loaded machine answers a burst slowly.
 */
const stopped = (at = Date.now()) => ({ now: () => at });

describe("HTTP rate limits", () => {
  it("refuses a user's requests past the burst with RATE_LIMITED and a Retry-After", async () => {
    server = await startTestServer({ httpRate: 1, httpBurst: 10 }, stopped());
    const alice = await register(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await api(server.url, "GET", "/api/me", undefined, alice.token)).status);
    }
    expect(statuses.slice(0, 9).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const res = await fetch(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { code: string }).code).toBe("RATE_LIMITED");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another user is not held up by Alice.
    const bob = await register(server.url);
    expect((await api(server.url, "GET", "/api/me", undefined, bob.token)).status).toBe(200);
  });

  it("prices a room list and a room creation above a plain request", async () => {
    const s = await startTestServer({ httpRate: 1, httpBurst: 20 }, stopped());
    server = s;
    const alice = await register(s.url);
    const list = () => api(s.url, "GET", "/api/rooms", undefined, alice.token);
    for (let i = 0; i < 4; i++) expect((await list()).status).toBe(200);
    expect((await list()).status).toBe(429);
  });

  it("limits requests per address before any session is checked", async () => {
    server = await startTestServer({ httpRate: 1, httpBurst: 10 }, stopped());
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await api(server.url, "GET", "/api/me")).status);
    expect(statuses.slice(0, 40).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe("rooms", () => {
  it("caps the rooms one user creates with TOO_MANY_ROOMS, over HTTP and WebSocket", async () => {
    server = await startTestServer({ maxRoomsPerUser: 3 });
    const alice = await register(server.url);
    for (let i = 0; i < 3; i++) await createRoom(server.url, alice.token);
    const refused = await api<{ code: string }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: unique("r") },
      alice.token,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("TOO_MANY_ROOMS");
    const ws = await connect(server.wsUrl, alice.token);
    expect(await ws.request({ type: "create", name: unique("r") })).toMatchObject({
      type: "error",
      code: "TOO_MANY_ROOMS",
    });
    // Others still create rooms.
    const bob = await register(server.url);
    expect(await createRoom(server.url, bob.token)).toBeGreaterThan(0);
    await ws.close();
  });

  it("caps the rooms one user is in, and the DMs one opens, with TOO_MANY_ROOMS", async () => {
    server = await startTestServer({ maxRoomsJoined: 2 });
    const owner = await register(server.url);
    const rooms = [];
    for (let i = 0; i < 3; i++) rooms.push(await createRoom(server.url, owner.token));
    const joiner = await register(server.url);
    await joinRoom(server.url, joiner.token, rooms[0] as number);
    await joinRoom(server.url, joiner.token, rooms[1] as number);
    const third = await api<{ code: string }>(
      server.url,
      "POST",
      `/api/rooms/${rooms[2]}/join`,
      undefined,
      joiner.token,
    );
    expect(third.body.code).toBe("TOO_MANY_ROOMS");
    // Joining a room one is already in is no new room.
    await joinRoom(server.url, joiner.token, rooms[0] as number);
    const ws = await connect(server.wsUrl, joiner.token);
    const peers = [
      await register(server.url),
      await register(server.url),
      await register(server.url),
    ];
    for (const p of peers.slice(0, 2)) {
      expect((await ws.request({ type: "dm", user: p.user.name })).type).toBe("dm");
    }
    expect(await ws.request({ type: "dm", user: peers[2]?.user.name as string })).toMatchObject({
      code: "TOO_MANY_ROOMS",
    });
    // Reopening an existing DM is fine.
    expect((await ws.request({ type: "dm", user: peers[0]?.user.name as string })).type).toBe("dm");
    await ws.close();
  });

  it("lists rooms in bounded pages, joined rooms and DMs always included, with member counts", async () => {
    server = await startTestServer();
    const owner = await register(server.url);
    const reader = await register(server.url);
    const made: number[] = [];
    for (let i = 0; i < 12; i++) {
      made.push(await createRoom(server.url, owner.token, `pg${String(i).padStart(2, "0")}`));
    }
    await joinRoom(server.url, reader.token, made[11] as number);
    const ws = await connect(server.wsUrl, reader.token);
    await ws.request({ type: "dm", user: owner.user.name });
    type Page = { rooms: RoomSummary[]; next?: string };
    const seen = new Set<number>();
    let after: string | undefined;
    let pages = 0;
    do {
      const query = `?limit=5${after ? `&after=${after}` : ""}`;
      const page = await api<Page>(
        server.url,
        "GET",
        `/api/rooms${query}`,
        undefined,
        reader.token,
      );
      pages++;
      const publicRooms = page.body.rooms.filter((r) => r.kind === "room");
      // At most a page of others, plus the one joined room (and the DM) on every page.
      expect(publicRooms.length).toBeLessThanOrEqual(6);
      expect(page.body.rooms.some((r) => r.id === made[11])).toBe(true);
      expect(page.body.rooms.some((r) => r.kind === "dm")).toBe(true);
      for (const r of publicRooms) seen.add(r.id);
      after = page.body.next;
    } while (after !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(made.every((id) => seen.has(id))).toBe(true);
    // The joined room counts both members; the frame pages the same way, and finds by name.
    const one = await ws.request<ServerFrameOf<"rooms">>({ type: "rooms", name: "PG03" });
    expect(
      one.rooms
        .filter((r) => r.kind === "room")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["pg03", "pg11"]);
    expect(one.rooms.find((r) => r.id === made[11])?.members).toBe(2);
    const first = await ws.request<ServerFrameOf<"rooms">>({ type: "rooms", limit: 2 });
    expect(first.next).toBe("pg01");
    await ws.close();
  });
});

describe("frame rates", () => {
  it("answers frames over the rate with RATE_LIMITED and never closes the socket for it", async () => {
    let clock = Date.now();
    server = await startTestServer({ rate: 5, burst: 5 }, { now: () => clock });
    const alice = await register(server.url);
    const ws = await connect(server.wsUrl, alice.token);
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) => ws.request({ type: "ping", id: `p${i}` })),
    );
    expect(replies.filter((r) => r.type === "error" && r.code === "RATE_LIMITED").length).toBe(55);
    clock += 1200;
    expect(await ws.request({ type: "ping" })).toMatchObject({ type: "pong" });
    expect(ws.ws.readyState).toBe(WebSocket.OPEN);
    await ws.close();
  });

  it("charges a room list more of the bucket than a ping", async () => {
    server = await startTestServer({ rate: 1, burst: 20 }, stopped());
    const alice = await register(server.url);
    const ws = await connect(server.wsUrl, alice.token);
    for (let i = 0; i < 4; i++) expect((await ws.request({ type: "rooms" })).type).toBe("rooms");
    expect(await ws.request({ type: "rooms" })).toMatchObject({ code: "RATE_LIMITED" });
    await ws.close();
  });
});
