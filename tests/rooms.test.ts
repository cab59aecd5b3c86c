import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { RoomSummary, ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, api, connect, createRoom, register, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { waitFor } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
let alice: Account;
let bob: Account;
beforeAll(async () => {
  server = await startTestServer();
  alice = await register(server.url);
  bob = await register(server.url);
});
afterAll(() => server.close());

async function rooms(token: string): Promise<RoomSummary[]> {
  return (await api<{ rooms: RoomSummary[] }>(server.url, "GET", "/api/rooms", undefined, token))
    .body.rooms;
}

describe("rooms over HTTP", () => {
  it("creates a room with its creator as the first member", async () => {
    const name = unique("Room");
    const res = await api<{ room: RoomSummary }>(
      server.url,
      "POST",
      "/api/rooms",
      { name, topic: "talk" },
      alice.token,
    );
    expect(res.status).toBe(201);
    expect(res.body.room).toMatchObject({ name, topic: "talk", members: 1, joined: true, head: 0 });
  });

  it("refuses a duplicate room name in another case with ROOM_NAME_TAKEN", async () => {
    const name = unique("dup");
    await createRoom(server.url, alice.token, name.toLowerCase());
    const res = await api<{ code: string }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: name.toUpperCase() },
      bob.token,
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("ROOM_NAME_TAKEN");
  });

  it("refuses invalid room names with INVALID_ROOM_NAME", async () => {
    for (const name of ["a", "-lead", "has space", "x".repeat(33), ""]) {
      const res = await api<{ code: string }>(
        server.url,
        "POST",
        "/api/rooms",
        { name },
        alice.token,
      );
      expect(res.body.code).toBe("INVALID_ROOM_NAME");
    }
  });

  it("lists rooms with member and online counts, and whether I joined", async () => {
    const id = await createRoom(server.url, alice.token);
    let mine = (await rooms(bob.token)).find((r) => r.id === id);
    expect(mine).toMatchObject({ members: 1, online: 0, joined: false });

    const join = await api(server.url, "POST", `/api/rooms/${id}/join`, undefined, bob.token);
    expect(join.status).toBe(200);
    const ws = await connect(server.wsUrl, bob.token);
    mine = (await rooms(bob.token)).find((r) => r.id === id);
    expect(mine).toMatchObject({ members: 2, online: 1, joined: true });

    await ws.close();
    // The count drops once the server has run its close handler: later than any fixed wait on
    // a loaded machine, so ask until it has.
    await waitFor(async () => {
      mine = (await rooms(bob.token)).find((r) => r.id === id);
      return mine?.online === 0;
    }, "bob counted offline after his socket closed");
    expect(mine).toMatchObject({ members: 2, online: 0 });
  });

  it("persists membership, and leaving removes it", async () => {
    const id = await createRoom(server.url, alice.token);
    await api(server.url, "POST", `/api/rooms/${id}/join`, undefined, bob.token);
    expect((await rooms(bob.token)).find((r) => r.id === id)?.joined).toBe(true);
    expect(
      (await api(server.url, "POST", `/api/rooms/${id}/leave`, undefined, bob.token)).status,
    ).toBe(204);
    expect((await rooms(bob.token)).find((r) => r.id === id)?.joined).toBe(false);
    const again = await api<{ code: string }>(
      server.url,
      "POST",
      `/api/rooms/${id}/leave`,
      undefined,
      bob.token,
    );
    expect(again.body.code).toBe("NOT_MEMBER");
    const missing = await api<{ code: string }>(
      server.url,
      "POST",
      "/api/rooms/999999/join",
      undefined,
      bob.token,
    );
    expect(missing.body.code).toBe("ROOM_NOT_FOUND");
  });

  it("lists members with their online status", async () => {
    const id = await createRoom(server.url, alice.token);
    await api(server.url, "POST", `/api/rooms/${id}/join`, undefined, bob.token);
    const ws = await connect(server.wsUrl, alice.token);
    const res = await api<{
      members: { id: number; name: string; online: boolean; status: string; role?: string }[];
    }>(server.url, "GET", `/api/rooms/${id}/members`, undefined, bob.token);
    expect(res.body.members).toContainEqual({
      id: alice.user.id,
      name: alice.user.name,
      online: true,
      status: "online",
      role: "owner",
    });
    await ws.close();
  });
});

describe("rooms over the WebSocket", () => {
  it("creates, joins by name, lists and leaves", async () => {
    const a = await connect(server.wsUrl, alice.token);
    const b = await connect(server.wsUrl, bob.token);
    const name = unique("ws");
    const created = await a.request<ServerFrameOf<"created">>({ type: "create", name });
    expect(created.type).toBe("created");
    const joined = await b.request<ServerFrameOf<"joined">>({
      type: "join",
      name: name.toUpperCase(),
    });
    expect(joined).toMatchObject({
      type: "joined",
      room: { id: created.room.id, members: 2, joined: true },
    });
    const list = await b.request<ServerFrameOf<"rooms">>({ type: "rooms" });
    expect(list.rooms.find((r) => r.id === created.room.id)).toMatchObject({ online: 2 });
    const left = await b.request({ type: "leave", room: created.room.id });
    expect(left).toEqual({ type: "left", ref: expect.any(String), room: created.room.id });
    await a.close();
    await b.close();
  });

  it("refuses a non-member's send with NOT_MEMBER and stores nothing", async () => {
    const id = await createRoom(server.url, alice.token);
    const b = await connect(server.wsUrl, bob.token);
    const reply = await b.request({ type: "send", room: id, cid: "x1", body: "let me in" });
    expect(reply).toMatchObject({ type: "error", code: "NOT_MEMBER" });
    const missing = await b.request({ type: "send", room: 987654, cid: "x2", body: "anyone?" });
    expect(missing).toMatchObject({ type: "error", code: "ROOM_NOT_FOUND" });
    const history = await api<{ messages: unknown[] }>(
      server.url,
      "GET",
      `/api/rooms/${id}/messages`,
      undefined,
      alice.token,
    );
    expect(history.body.messages).toEqual([]);
    const refused = await b.request({ type: "history", room: id });
    expect(refused).toMatchObject({ type: "error", code: "NOT_MEMBER" });
    await b.close();
  });
});
