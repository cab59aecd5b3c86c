/**
 * Private rooms on a real server: they do not exist to an outsider on any route or frame, and
 * their members list, read and send in them as in any room.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { RoomSummary, ServerFrameOf } from "../src/protocol/index.ts";
import { register, unique } from "./support/client.ts";
import {
  call,
  communityServer,
  errorCode,
  moderate,
  room,
  server,
  socket,
} from "./support/communities.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

communityServer();

describe("a private room", () => {
  it("does not exist to an outsider on any route or frame: ROOM_NOT_FOUND everywhere", async () => {
    const alice = await register(server.url);
    const eve = await register(server.url);
    const eveWs = await socket(eve);
    const secret = await room(alice, "private");
    expect(secret.visibility).toBe("private");
    // A file in it, so downloads can be tried too.
    const up = await fetch(`${server.url}/api/rooms/${secret.id}/files?name=a.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "text/plain" },
      body: "secret",
    });
    const file = ((await up.json()) as { file: { id: string } }).file.id;

    const listed = await call<{ rooms: RoomSummary[] }>("GET", "/api/rooms", eve);
    expect(listed.body.rooms.some((r) => r.id === secret.id)).toBe(false);
    const byName = await call<{ rooms: RoomSummary[] }>(
      "GET",
      `/api/rooms?name=${secret.name}`,
      eve,
    );
    expect(byName.body.rooms).toEqual([]);
    for (const [method, path] of [
      ["POST", `/api/rooms/${secret.id}/join`],
      ["POST", `/api/rooms/${secret.id}/leave`],
      ["GET", `/api/rooms/${secret.id}/messages`],
      ["GET", `/api/rooms/${secret.id}/members`],
      ["GET", `/api/rooms/${secret.id}/invites`],
      ["GET", `/api/rooms/${secret.id}/audit`],
      ["PUT", `/api/rooms/${secret.id}/topic`],
      ["DELETE", `/api/rooms/${secret.id}`],
    ] as const) {
      const body = method === "PUT" ? { topic: "x" } : undefined;
      const res = await call(method, path, eve, body);
      expect([path, res.body.code]).toEqual([path, "ROOM_NOT_FOUND"]);
    }
    expect(
      (await moderate(eve, secret.id, { action: "kick", user: alice.user.name })).body.code,
    ).toBe("ROOM_NOT_FOUND");
    const upload = await fetch(`${server.url}/api/rooms/${secret.id}/files?name=b.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${eve.token}`, "content-type": "text/plain" },
      body: "x",
    });
    expect(((await upload.json()) as { code: string }).code).toBe("ROOM_NOT_FOUND");
    const download = await fetch(`${server.url}/api/files/${file}`, {
      headers: { authorization: `Bearer ${eve.token}` },
    });
    expect(download.status).toBe(404);

    const rooms = await eveWs.request<ServerFrameOf<"rooms">>({ type: "rooms", name: secret.name });
    expect(rooms.rooms).toEqual([]);
    for (const frame of [
      { type: "join", room: secret.id },
      { type: "join", name: secret.name },
      { type: "history", room: secret.id },
      { type: "members", room: secret.id },
      { type: "leave", room: secret.id },
      { type: "send", room: secret.id, cid: unique("c"), body: "hi" },
      { type: "invites", room: secret.id },
      { type: "audit", room: secret.id },
      { type: "topic", room: secret.id, topic: "x" },
      { type: "moderate", room: secret.id, action: "kick", user: alice.user.name },
    ] as const) {
      expect([frame.type, errorCode(await eveWs.request(frame))]).toEqual([
        frame.type,
        "ROOM_NOT_FOUND",
      ]);
    }
    const resumed = await eveWs.request<ServerFrameOf<"resumed">>({
      type: "resume",
      rooms: [{ room: secret.id, after: 0 }],
    });
    expect(resumed.refused).toEqual([{ room: secret.id, code: "ROOM_NOT_FOUND" }]);
    // Nor was its creation announced: the next public room's announcement is the first seen.
    const open = await room(alice);
    await eveWs.waitFor((f) => f.type === "room_created" && f.room.id === open.id);
    expect(eveWs.frames.some((f) => f.type === "room_created" && f.room.id === secret.id)).toBe(
      false,
    );
  });

  it("is listed to its members, who read and send in it", async () => {
    const alice = await register(server.url);
    const secret = await room(alice, "private");
    const listed = await call<{ rooms: RoomSummary[] }>("GET", "/api/rooms", alice);
    expect(listed.body.rooms.find((r) => r.id === secret.id)).toMatchObject({
      visibility: "private",
      joined: true,
    });
    const ws = await socket(alice);
    const joined = await ws.request({ type: "join", name: secret.name });
    expect(joined.type).toBe("joined");
    const ack = await ws.request({ type: "send", room: secret.id, cid: unique("c"), body: "hi" });
    expect(ack.type).toBe("ack");
  });
});
