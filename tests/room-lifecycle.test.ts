/**
 * A room's life on a real server: renaming, archiving, and its owners leaving (LAST_OWNER, and the
 * private room archived when its last member leaves).
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { RoomSummary, ServerFrameOf } from "../src/protocol/index.ts";
import { register, unique } from "./support/client.ts";
import {
  accept,
  call,
  communityServer,
  errorCode,
  invite,
  moderate,
  room,
  server,
  socket,
} from "./support/communities.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

communityServer();

describe("room lifecycle", () => {
  async function withMember() {
    const owner = await register(server.url);
    const bob = await register(server.url);
    const r = await room(owner);
    await call("POST", `/api/rooms/${r.id}/join`, bob);
    const bobWs = await socket(bob);
    await bobWs.request({ type: "join", room: r.id });
    return { owner, bob, r, bobWs };
  }

  it("renames a room by its owner: members see a rename event, the audit log has a row", async () => {
    const { owner, bob, r, bobWs } = await withMember();
    const name = unique("renamed");
    expect((await call("PUT", `/api/rooms/${r.id}/name`, bob, { name })).body.code).toBe(
      "NOT_ALLOWED",
    );
    expect(
      (await call("PUT", `/api/rooms/${r.id}/name`, owner, { name: "no spaces" })).body.code,
    ).toBe("INVALID_ROOM_NAME");
    const other = await room(owner);
    expect(
      (await call("PUT", `/api/rooms/${r.id}/name`, owner, { name: other.name })).body.code,
    ).toBe("ROOM_NAME_TAKEN");
    const ownerWs = await socket(owner);
    const ok = await ownerWs.request({ type: "rename_room", room: r.id, name });
    expect(ok.type).toBe("ok");
    expect(await bobWs.waitFor((f) => f.type === "event" && f.kind === "rename")).toMatchObject({
      room: r.id,
      kind: "rename",
      body: name,
      from: owner.user,
    });
    const mine = await call<{ rooms: RoomSummary[] }>("GET", "/api/rooms", bob);
    expect(mine.body.rooms.find((x) => x.id === r.id)?.name).toBe(name);
    const audit = await ownerWs.request<ServerFrameOf<"audit">>({ type: "audit", room: r.id });
    expect(audit.entries.map((e) => e.action)).toContain("rename");
  });

  it("archives a room: sends, edits and reactions are refused ROOM_ARCHIVED, reading still works", async () => {
    const { owner, bob, r, bobWs } = await withMember();
    const ack = await bobWs.request<ServerFrameOf<"ack">>({
      type: "send",
      room: r.id,
      cid: unique("c"),
      body: "before",
    });
    expect(errorCode(await bobWs.request({ type: "archive_room", room: r.id }))).toBe(
      "NOT_ALLOWED",
    );
    expect(
      (await call("POST", `/api/rooms/${r.id}/archive`, owner, { reason: "done" })).status,
    ).toBe(204);
    expect(await bobWs.waitFor((f) => f.type === "event" && f.kind === "archive")).toMatchObject({
      room: r.id,
      from: owner.user,
    });
    const send = await bobWs.request({ type: "send", room: r.id, cid: unique("c"), body: "after" });
    expect(errorCode(send)).toBe("ROOM_ARCHIVED");
    const react = await bobWs.request({
      type: "event",
      room: r.id,
      cid: unique("c"),
      kind: "react",
      target: ack.seq,
      emoji: "👍",
      on: true,
    });
    expect(errorCode(react)).toBe("ROOM_ARCHIVED");
    const edit = await bobWs.request({
      type: "event",
      room: r.id,
      cid: unique("c"),
      kind: "edit",
      target: ack.seq,
      body: "changed",
    });
    expect(errorCode(edit)).toBe("ROOM_ARCHIVED");
    const history = await bobWs.request<ServerFrameOf<"history">>({ type: "history", room: r.id });
    expect(history.messages.map((m) => m.body)).toContain("before");
    // Every room summary says so: GET /api/rooms and the rooms frame.
    const listed = await call<{ rooms: RoomSummary[] }>("GET", "/api/rooms", bob);
    expect(listed.body.rooms.find((x) => x.id === r.id)?.archived).toBe(true);
    const frame = await bobWs.request<ServerFrameOf<"rooms">>({ type: "rooms" });
    expect(frame.rooms.find((x) => x.id === r.id)?.archived).toBe(true);
    const other = await room(owner);
    expect(
      (await call<{ rooms: RoomSummary[] }>("GET", "/api/rooms", bob)).body.rooms.find(
        (x) => x.id === other.id,
      ),
    ).not.toHaveProperty("archived");
    // Leaving still works, and is recorded.
    expect((await call("POST", `/api/rooms/${r.id}/leave`, bob)).status).toBeLessThan(300);
    const audit = await call<{ entries: { action: string; reason: string }[] }>(
      "GET",
      `/api/rooms/${r.id}/audit`,
      owner,
    );
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ action: "archive", reason: "done" }),
    );
  });

  it("lets a server admin who is not a member rename and archive; an outsider gets ROOM_NOT_FOUND on a private room", async () => {
    const owner = await register(server.url);
    const admin = await register(server.url);
    const eve = await register(server.url);
    const r = await room(owner, "private");
    expect((await call("POST", `/api/rooms/${r.id}/archive`, eve)).body.code).toBe(
      "ROOM_NOT_FOUND",
    );
    await server.store.setAdmin(admin.user.id, true, {
      actor: admin.user,
      reason: "",
      now: Date.now(),
    });
    expect(
      (await call("PUT", `/api/rooms/${r.id}/name`, admin, { name: unique("adm") })).status,
    ).toBe(204);
    expect((await call("POST", `/api/rooms/${r.id}/archive`, admin)).status).toBe(204);
  });
});

describe("an owner leaving", () => {
  it("refuses the only owner's leave with LAST_OWNER while others stay; after a transfer, or alone, they leave", async () => {
    const owner = await register(server.url);
    const bob = await register(server.url);
    const r = await room(owner);
    await call("POST", `/api/rooms/${r.id}/join`, bob);
    expect((await call("POST", `/api/rooms/${r.id}/leave`, owner)).body.code).toBe("LAST_OWNER");
    const ws = await socket(owner);
    expect(errorCode(await ws.request({ type: "leave", room: r.id }))).toBe("LAST_OWNER");
    expect(await server.store.isMember(r.id, owner.user.id)).toBe(true);
    expect((await moderate(owner, r.id, { action: "transfer", user: bob.user.name })).status).toBe(
      204,
    );
    expect((await call("POST", `/api/rooms/${r.id}/leave`, owner)).status).toBeLessThan(300);
    // Alone in a public room, its owner may leave it: it stays open to anyone, not archived.
    expect((await call("POST", `/api/rooms/${r.id}/leave`, bob)).status).toBeLessThan(300);
    expect((await server.store.findRoom(r.id))?.archivedAt ?? null).toBeNull();
    const carol = await register(server.url);
    const back = await call<{ room: RoomSummary }>("POST", `/api/rooms/${r.id}/join`, carol);
    expect(back.body.room.archived).toBeUndefined();
  });

  it("archives a private room its last member leaves, with a leave event and an audit row", async () => {
    const owner = await register(server.url);
    const bob = await register(server.url);
    const admin = await register(server.url);
    const r = await room(owner, "private");
    const { code } = await invite(owner, r.id);
    expect((await accept(bob, code)).status).toBe(200);
    const bobWs = await socket(bob);
    await bobWs.request({ type: "resume", rooms: [{ room: r.id, after: 0 }] });
    expect((await call("POST", `/api/rooms/${r.id}/leave`, bob)).status).toBe(204);
    expect(await bobWs.waitFor((f) => f.type === "event" && f.kind === "leave")).toBeDefined();
    expect((await server.store.findRoom(r.id))?.archivedAt ?? null).toBeNull();
    // The owner, now alone, leaves too: nobody could ever be invited back, so it is archived.
    expect((await call("POST", `/api/rooms/${r.id}/leave`, owner)).status).toBe(204);
    expect(await server.store.isMember(r.id, owner.user.id)).toBe(false);
    expect((await server.store.findRoom(r.id))?.archivedAt).toBeGreaterThan(0);
    const log = await server.store.logAfter(r.id, 0, 50);
    expect(log.at(-1)).toMatchObject({ kind: "leave", from: owner.user, body: "archived" });
    // A server admin reads why in the audit log, and may delete it.
    await server.store.setAdmin(admin.user.id, true, {
      actor: admin.user,
      reason: "",
      now: Date.now(),
    });
    const audit = await call<{ entries: { action: string; reason: string }[] }>(
      "GET",
      `/api/rooms/${r.id}/audit`,
      admin,
    );
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ action: "archive", reason: "the last member left" }),
    );
    expect((await call("DELETE", `/api/rooms/${r.id}`, admin)).status).toBe(204);
  });
});
