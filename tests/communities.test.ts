/**
 * Communities on a real server: private rooms that do not exist to outsiders on any route or
 * frame, invite codes (expiry, uses, revocation), roles, kicks, bans, mutes, the topic, room
 * deletion and the audit log. The many-node kick and ban are in multinode-moderation.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { AuditEntry } from "../db/store.ts";
import type { RoomSummary, ServerFrame, ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, api, connect, register, type TestSocket, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
/** The server's clock runs this far ahead of the real one: tests move it to expire things. */
let offset = 0;
const sockets: TestSocket[] = [];
beforeAll(async () => {
  server = await startTestServer({}, { now: () => Date.now() + offset });
});
afterAll(async () => {
  for (const s of sockets) s.ws.close();
  await server.close();
});

async function socket(a: Account): Promise<TestSocket> {
  const s = await connect(server.wsUrl, a.token);
  sockets.push(s);
  return s;
}

function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  who: Account,
  body?: unknown,
) {
  return api<T & { code?: string }>(server.url, method, path, body, who.token);
}

async function room(owner: Account, visibility: "public" | "private" = "public") {
  const res = await call<{ room: RoomSummary }>("POST", "/api/rooms", owner, {
    name: unique("c"),
    visibility,
  });
  expect(res.status).toBe(201);
  return res.body.room;
}

async function invite(owner: Account, roomId: number, body: object = {}) {
  const res = await call<{ invite: { id: number; code: string } }>(
    "POST",
    `/api/rooms/${roomId}/invites`,
    owner,
    body,
  );
  expect(res.status).toBe(201);
  return res.body.invite;
}

async function accept(who: Account, code: string) {
  return call<{ room: RoomSummary }>("POST", `/api/invites/${code}/accept`, who);
}

function moderate(who: Account, roomId: number, body: object) {
  return call("POST", `/api/rooms/${roomId}/moderation`, who, body);
}

function errorCode(f: ServerFrame): string | undefined {
  return f.type === "error" ? f.code : undefined;
}

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

describe("invite codes", () => {
  it("let their holders join a private room, up to their uses, then INVITE_NOT_FOUND", async () => {
    const alice = await register(server.url);
    const [bob, carol, dave] = await Promise.all([1, 2, 3].map(() => register(server.url)));
    const secret = await room(alice, "private");
    const { code } = await invite(alice, secret.id, { uses: 2 });
    const first = await accept(bob as Account, code);
    expect(first.status).toBe(200);
    expect(first.body.room).toMatchObject({ id: secret.id, joined: true, members: 2 });
    const carolWs = await socket(carol as Account);
    const joined = await carolWs.request<ServerFrameOf<"joined">>({ type: "invite_redeem", code });
    expect(joined.type).toBe("joined");
    expect(joined.room.id).toBe(secret.id);
    expect((await accept(dave as Account, code)).body.code).toBe("INVITE_NOT_FOUND");
    expect((await accept(dave as Account, "not-a-code")).body.code).toBe("INVITE_NOT_FOUND");
  });

  it("expire, and can be revoked", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const r = await room(alice, "private");
    const short = await invite(alice, r.id, { seconds: 60, uses: 5 });
    const revoked = await invite(alice, r.id, { uses: 5 });
    expect((await call("DELETE", `/api/rooms/${r.id}/invites/${revoked.id}`, alice)).status).toBe(
      204,
    );
    expect((await accept(bob, revoked.code)).body.code).toBe("INVITE_NOT_FOUND");
    offset += 61_000;
    expect((await accept(bob, short.code)).body.code).toBe("INVITE_NOT_FOUND");
    const listed = await call<{ invites: { id: number; revoked: boolean; code?: string }[] }>(
      "GET",
      `/api/rooms/${r.id}/invites`,
      alice,
    );
    expect(listed.body.invites.map((i) => [i.id, i.revoked, i.code])).toEqual([
      [revoked.id, true, undefined],
      [short.id, false, undefined],
    ]);
  });

  it("are made only by moderators and owners: NOT_ALLOWED for a member", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const r = await room(alice);
    await call("POST", `/api/rooms/${r.id}/join`, bob);
    const res = await call("POST", `/api/rooms/${r.id}/invites`, bob, {});
    expect(res.body.code).toBe("NOT_ALLOWED");
  });
});

describe("moderation", () => {
  async function roomWith(n: number) {
    const owner = await register(server.url);
    const r = await room(owner);
    const others: Account[] = [];
    for (let i = 0; i < n; i++) {
      const a = await register(server.url);
      await call("POST", `/api/rooms/${r.id}/join`, a);
      others.push(a);
    }
    return { owner, r, others };
  }

  it("checks roles: a member cannot act, a moderator cannot act on an owner or moderator", async () => {
    const { owner, r, others } = await roomWith(3);
    const [mod, member, other] = others as [Account, Account, Account];
    const kick = (who: Account, target: Account) =>
      moderate(who, r.id, { action: "kick", user: target.user.name });
    expect((await kick(member, other)).body.code).toBe("NOT_ALLOWED");
    expect((await moderate(mod, r.id, { action: "op", user: member.user.name })).body.code).toBe(
      "NOT_ALLOWED",
    );
    expect((await moderate(owner, r.id, { action: "op", user: mod.user.name })).status).toBe(204);
    expect((await kick(mod, owner)).body.code).toBe("OUTRANKED");
    expect((await moderate(owner, r.id, { action: "op", user: member.user.name })).status).toBe(
      204,
    );
    expect((await kick(mod, member)).body.code).toBe("OUTRANKED");
    expect((await moderate(owner, r.id, { action: "deop", user: member.user.name })).status).toBe(
      204,
    );
    expect((await kick(mod, member)).status).toBe(204);
    expect((await kick(mod, { ...other, user: { id: 0, name: "nobody-here" } })).body.code).toBe(
      "USER_NOT_FOUND",
    );
    const members = await call<{ members: { name: string; role: string }[] }>(
      "GET",
      `/api/rooms/${r.id}/members`,
      owner,
    );
    expect(members.body.members.map((m) => [m.name, m.role]).sort()).toEqual(
      [
        [owner.user.name, "owner"],
        [mod.user.name, "moderator"],
        [other.user.name, "member"],
      ].sort(),
    );
  });

  it("kicks: the member's live socket leaves the room at once and hears no more of it", async () => {
    const { owner, r, others } = await roomWith(1);
    const bob = others[0] as Account;
    const ownerWs = await socket(owner);
    const bobWs = await socket(bob);
    await ownerWs.request({ type: "join", room: r.id });
    await bobWs.request({ type: "join", room: r.id });
    expect(
      (await moderate(owner, r.id, { action: "kick", user: bob.user.name, reason: "rude" })).status,
    ).toBe(204);
    const removed = await bobWs.waitFor((f) => f.type === "removed");
    expect(removed).toEqual({ type: "removed", room: r.id, reason: "kicked" });
    await ownerWs.waitFor((f) => f.type === "moderation" && f.action === "kick");
    await ownerWs.request({ type: "send", room: r.id, cid: unique("c"), body: "after" });
    const history = await bobWs.request({ type: "history", room: r.id });
    expect(errorCode(history)).toBe("NOT_MEMBER");
    expect(bobWs.messages(r.id).some((m) => m.body === "after")).toBe(false);
    // A kick is no ban: he may come back.
    expect((await bobWs.request({ type: "join", room: r.id })).type).toBe("joined");
  });

  it("bans for a time: no rejoin, no read, no resume, no invite until it ends", async () => {
    const { owner, r, others } = await roomWith(1);
    const bob = others[0] as Account;
    const bobWs = await socket(bob);
    await bobWs.request({ type: "join", room: r.id });
    const res = await moderate(owner, r.id, { action: "ban", user: bob.user.name, seconds: 600 });
    expect(res.status).toBe(204);
    expect(await bobWs.waitFor((f) => f.type === "removed")).toMatchObject({ reason: "banned" });
    expect(errorCode(await bobWs.request({ type: "join", room: r.id }))).toBe("BANNED");
    expect((await call("GET", `/api/rooms/${r.id}/messages`, bob)).body.code).toBe("NOT_MEMBER");
    const resumed = await bobWs.request<ServerFrameOf<"resumed">>({
      type: "resume",
      rooms: [{ room: r.id, after: 0 }],
    });
    expect(resumed.refused).toEqual([{ room: r.id, code: "NOT_MEMBER" }]);
    const { code } = await invite(owner, r.id);
    expect((await accept(bob, code)).body.code).toBe("BANNED");
    offset += 601_000;
    expect((await bobWs.request({ type: "join", room: r.id })).type).toBe("joined");
  });

  it("mutes: sends are refused with MUTED until unmuted, and the member list shows it", async () => {
    const { owner, r, others } = await roomWith(1);
    const bob = others[0] as Account;
    const bobWs = await socket(bob);
    await bobWs.request({ type: "join", room: r.id });
    expect(
      (await moderate(owner, r.id, { action: "mute", user: bob.user.name, seconds: 300 })).status,
    ).toBe(204);
    const refused = await bobWs.request({ type: "send", room: r.id, cid: unique("c"), body: "x" });
    expect(errorCode(refused)).toBe("MUTED");
    const members = await bobWs.request<ServerFrameOf<"members">>({ type: "members", room: r.id });
    expect(members.members.find((m) => m.id === bob.user.id)?.mutedUntil).toBeGreaterThan(0);
    // He still reads.
    expect((await bobWs.request({ type: "history", room: r.id })).type).toBe("history");
    await moderate(owner, r.id, { action: "unmute", user: bob.user.name });
    const ack = await bobWs.request({ type: "send", room: r.id, cid: unique("c"), body: "y" });
    expect(ack.type).toBe("ack");
  });

  it("sets the topic for everyone in the room, and refuses a member with NOT_ALLOWED", async () => {
    const { owner, r, others } = await roomWith(1);
    const bob = others[0] as Account;
    const bobWs = await socket(bob);
    await bobWs.request({ type: "join", room: r.id });
    expect((await call("PUT", `/api/rooms/${r.id}/topic`, bob, { topic: "mine" })).body.code).toBe(
      "NOT_ALLOWED",
    );
    expect(
      (await call("PUT", `/api/rooms/${r.id}/topic`, owner, { topic: "new topic" })).status,
    ).toBe(204);
    expect(await bobWs.waitFor((f) => f.type === "event" && f.kind === "topic")).toMatchObject({
      room: r.id,
      kind: "topic",
      body: "new topic",
      from: owner.user,
    });
  });

  it("transfers ownership: the new owner may delete the room, whose members are removed", async () => {
    const { owner, r, others } = await roomWith(1);
    const bob = others[0] as Account;
    const bobWs = await socket(bob);
    await bobWs.request({ type: "join", room: r.id });
    expect((await moderate(owner, r.id, { action: "transfer", user: bob.user.name })).status).toBe(
      204,
    );
    expect((await call("DELETE", `/api/rooms/${r.id}`, owner)).body.code).toBe("NOT_ALLOWED");
    expect((await bobWs.request({ type: "delete_room", room: r.id, reason: "done" })).type).toBe(
      "ok",
    );
    expect(await bobWs.waitFor((f) => f.type === "removed")).toMatchObject({ reason: "deleted" });
    expect((await call("GET", `/api/rooms/${r.id}/messages`, bob)).body.code).toBe(
      "ROOM_NOT_FOUND",
    );
  });

  it("keeps an audit log of every action, readable by the owner only", async () => {
    const { owner, r, others } = await roomWith(2);
    const [mod, bob] = others as [Account, Account];
    await moderate(owner, r.id, { action: "op", user: mod.user.name });
    await moderate(mod, r.id, {
      action: "mute",
      user: bob.user.name,
      seconds: 60,
      reason: "flood",
    });
    await moderate(mod, r.id, { action: "ban", user: bob.user.name, reason: "spam" });
    expect((await call("GET", `/api/rooms/${r.id}/audit`, mod)).body.code).toBe("NOT_ALLOWED");
    const log = await call<{
      entries: {
        action: string;
        actor: { name: string };
        target?: { name: string };
        reason: string;
      }[];
    }>("GET", `/api/rooms/${r.id}/audit`, owner);
    expect(log.body.entries.map((e) => [e.action, e.actor.name, e.target?.name, e.reason])).toEqual(
      [
        ["ban", mod.user.name, bob.user.name, "spam"],
        ["mute", mod.user.name, bob.user.name, "flood"],
        ["role", owner.user.name, mod.user.name, ""],
      ],
    );
    const ws = await socket(owner);
    const frame = await ws.request<ServerFrameOf<"audit">>({ type: "audit", room: r.id });
    expect(frame.entries).toHaveLength(3);
  });
});

describe("the room's timeline", () => {
  it("stores joins, leaves, invitations accepted and every moderation action as events, replayed in order on resume", async () => {
    const owner = await register(server.url);
    const [bob, carol, dave] = (await Promise.all([1, 2, 3].map(() => register(server.url)))) as [
      Account,
      Account,
      Account,
    ];
    const r = await room(owner);
    for (const a of [bob, carol]) await call("POST", `/api/rooms/${r.id}/join`, a);
    // A member's socket joining again, and a reconnect, change no membership: nothing is stored.
    const carolWs = await socket(carol);
    const joined = await carolWs.request<ServerFrameOf<"joined">>({ type: "join", room: r.id });
    expect(joined.room.head).toBe(2);
    carolWs.ws.close();

    const { code } = await invite(owner, r.id);
    expect((await accept(dave, code)).status).toBe(200);
    await moderate(owner, r.id, { action: "op", user: dave.user.name });
    await call("PUT", `/api/rooms/${r.id}/topic`, owner, { topic: "rules" });
    await moderate(owner, r.id, { action: "mute", user: carol.user.name, seconds: 60 });
    await moderate(owner, r.id, { action: "unmute", user: carol.user.name });
    await moderate(owner, r.id, { action: "kick", user: bob.user.name, reason: "x" });
    await moderate(owner, r.id, { action: "ban", user: bob.user.name, reason: "spam" });
    await moderate(owner, r.id, { action: "unban", user: bob.user.name });
    expect((await call("POST", `/api/rooms/${r.id}/leave`, dave)).status).toBe(204);

    const again = await socket(carol);
    await again.request({ type: "resume", rooms: [{ room: r.id, after: 0 }] });
    const events = again.frames.filter(
      (f): f is ServerFrameOf<"event"> => f.type === "event" && f.room === r.id,
    );
    const [o, b, c, d] = [owner, bob, carol, dave].map((a) => a.user.name);
    expect(events.map((e) => [e.kind, e.from.name, e.user?.name, e.body])).toEqual([
      ["join", b, undefined, undefined],
      ["join", c, undefined, undefined],
      ["join", d, undefined, "invite"],
      ["role", o, d, "moderator"],
      ["topic", o, undefined, "rules"],
      ["mute", o, c, undefined],
      ["unmute", o, c, undefined],
      ["kick", o, b, "x"],
      ["ban", o, b, "spam"],
      ["unban", o, b, undefined],
      ["leave", d, undefined, undefined],
    ]);
    // The whole log, exactly once and in order: these events are every entry of it.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });
});

describe("moderator deletion", () => {
  it("lets a moderator delete anyone's message, and refuses a member with DELETE_FORBIDDEN", async () => {
    const owner = await register(server.url);
    const [mod, bob, carol] = await Promise.all([1, 2, 3].map(() => register(server.url)));
    const r = await room(owner);
    for (const a of [mod, bob, carol] as Account[])
      await call("POST", `/api/rooms/${r.id}/join`, a);
    await moderate(owner, r.id, { action: "op", user: (mod as Account).user.name });
    const bobWs = await socket(bob as Account);
    await bobWs.request({ type: "join", room: r.id });
    const sent = await bobWs.request<ServerFrameOf<"ack">>({
      type: "send",
      room: r.id,
      cid: unique("c"),
      body: "spam",
    });
    const carolWs = await socket(carol as Account);
    const refused = await carolWs.request({
      type: "event",
      room: r.id,
      cid: unique("e"),
      kind: "delete",
      target: sent.seq,
    });
    expect(errorCode(refused)).toBe("DELETE_FORBIDDEN");
    const modWs = await socket(mod as Account);
    const ack = await modWs.request({
      type: "event",
      room: r.id,
      cid: unique("e"),
      kind: "delete",
      target: sent.seq,
    });
    expect(ack.type).toBe("ack");
    const page = await bobWs.request<ServerFrameOf<"history">>({ type: "history", room: r.id });
    expect(page.messages.find((m) => m.seq === sent.seq)).toMatchObject({
      deleted: true,
      body: "",
    });
    // The owner reads who deleted whose message in the audit log.
    const audit = await call<{ entries: AuditEntry[] }>("GET", `/api/rooms/${r.id}/audit`, owner);
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        action: "message_delete",
        actor: (mod as Account).user,
        target: (bob as Account).user,
        detail: JSON.stringify({ seq: sent.seq }),
      }),
    );
  });

  it("writes no audit row when an author deletes their own message", async () => {
    const owner = await register(server.url);
    const r = await room(owner);
    const ws = await socket(owner);
    await ws.request({ type: "join", room: r.id });
    const sent = await ws.request<ServerFrameOf<"ack">>({
      type: "send",
      room: r.id,
      cid: unique("c"),
      body: "oops",
    });
    const del = { type: "event", room: r.id, cid: unique("e"), kind: "delete", target: sent.seq };
    expect((await ws.request(del as never)).type).toBe("ack");
    const audit = await call<{ entries: AuditEntry[] }>("GET", `/api/rooms/${r.id}/audit`, owner);
    expect(audit.body.entries.some((e) => e.action === "message_delete")).toBe(false);
  });
});

describe("reports", () => {
  it("lets a member report a message; moderators see and resolve it; others get NOT_ALLOWED", async () => {
    const owner = await register(server.url);
    const bob = await register(server.url);
    const carol = await register(server.url);
    const r = await room(owner);
    for (const a of [bob, carol]) await call("POST", `/api/rooms/${r.id}/join`, a);
    const bobWs = await socket(bob);
    await bobWs.request({ type: "join", room: r.id });
    const sent = await bobWs.request<ServerFrameOf<"ack">>({
      type: "send",
      room: r.id,
      cid: unique("c"),
      body: "rude",
    });
    const made = await call<{ report: number }>("POST", `/api/rooms/${r.id}/reports`, carol, {
      seq: sent.seq,
      reason: "insults",
    });
    expect(made.status).toBe(201);
    expect(
      (await call("POST", `/api/rooms/${r.id}/reports`, carol, { seq: 9999, reason: "x" })).body
        .code,
    ).toBe("MESSAGE_NOT_FOUND");
    expect((await call("GET", `/api/rooms/${r.id}/reports`, carol)).body.code).toBe("NOT_ALLOWED");
    const open = await call<{ reports: { id: number; reason: string; seq: number }[] }>(
      "GET",
      `/api/rooms/${r.id}/reports`,
      owner,
    );
    expect(open.body.reports.map((x) => [x.id, x.seq, x.reason])).toEqual([
      [made.body.report, sent.seq, "insults"],
    ]);
    const resolved = await call(
      "POST",
      `/api/rooms/${r.id}/reports/${made.body.report}/resolve`,
      owner,
      { outcome: "muted bob" },
    );
    expect(resolved.status).toBe(204);
    const again = await call(
      "POST",
      `/api/rooms/${r.id}/reports/${made.body.report}/resolve`,
      owner,
      {
        outcome: "x",
      },
    );
    expect(again.body.code).toBe("REPORT_NOT_FOUND");
    const all = await call<{ reports: { outcome: string }[] }>(
      "GET",
      `/api/rooms/${r.id}/reports?all`,
      owner,
    );
    expect(all.body.reports[0]?.outcome).toBe("muted bob");
  });
});

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

describe("invitations by name", () => {
  it("reach the invitee live and in their list; accepting joins a private room, declining ends it", async () => {
    const owner = await register(server.url);
    const guest = await register(server.url);
    const other = await register(server.url);
    const r = await room(owner, "private");
    const guestWs = await socket(guest);
    const ownerWs = await socket(owner);
    const ok = await ownerWs.request({ type: "invite_user", room: r.id, user: guest.user.name });
    expect(ok.type).toBe("ok");
    const live = await guestWs.waitFor((f) => f.type === "invited");
    expect(live).toMatchObject({ invite: { room: r.id, name: r.name, by: owner.user } });
    // After a reconnect: the list.
    const again = await socket(guest);
    const list = await again.request<ServerFrameOf<"user_invites">>({ type: "user_invites" });
    expect(list.invites.map((i) => i.room)).toEqual([r.id]);
    const joined = await again.request<ServerFrameOf<"joined">>({
      type: "invite_answer",
      room: r.id,
      accept: true,
    });
    expect(joined).toMatchObject({ type: "joined", room: { id: r.id } });
    expect(await server.store.isMember(r.id, guest.user.id)).toBe(true);
    const twice = await again.request({ type: "invite_answer", room: r.id, accept: true });
    expect(errorCode(twice)).toBe("INVITE_NOT_FOUND");

    // Declined over HTTP: nothing joined, the list is empty.
    expect(
      (await call("POST", `/api/rooms/${r.id}/invitations`, owner, { user: other.user.name }))
        .status,
    ).toBe(204);
    const listed = await call<{ invites: { room: number }[] }>("GET", "/api/invitations", other);
    expect(listed.body.invites.map((i) => i.room)).toEqual([r.id]);
    expect((await call("POST", `/api/invitations/${r.id}/decline`, other)).status).toBe(204);
    expect(await server.store.isMember(r.id, other.user.id)).toBe(false);
    expect((await call("GET", "/api/invitations", other)).body).toEqual({ invites: [] });
    const audit = await call<{ entries: AuditEntry[] }>("GET", `/api/rooms/${r.id}/audit`, owner);
    expect(audit.body.entries.filter((e) => e.action === "invite_user")).toHaveLength(2);
  });

  it("refuses with codes: ROOM_NOT_FOUND to an outsider of a private room, NOT_ALLOWED to a member, USER_NOT_FOUND, ALREADY_MEMBER", async () => {
    const owner = await register(server.url);
    const member = await register(server.url);
    const eve = await register(server.url);
    const r = await room(owner, "private");
    const { code } = await invite(owner, r.id);
    await accept(member, code);
    const ask = (who: Account, user: string) =>
      call("POST", `/api/rooms/${r.id}/invitations`, who, { user });
    expect((await ask(eve, eve.user.name)).body.code).toBe("ROOM_NOT_FOUND");
    expect((await ask(member, eve.user.name)).body.code).toBe("NOT_ALLOWED");
    expect((await ask(owner, unique("nobody"))).body.code).toBe("USER_NOT_FOUND");
    expect((await ask(owner, member.user.name)).body.code).toBe("ALREADY_MEMBER");
    expect((await call("POST", `/api/invitations/${r.id}/accept`, eve)).body.code).toBe(
      "INVITE_NOT_FOUND",
    );
  });

  it("expire: an invitation past its time is neither listed nor accepted", async () => {
    const owner = await register(server.url);
    const guest = await register(server.url);
    const r = await room(owner, "private");
    await call("POST", `/api/rooms/${r.id}/invitations`, owner, {
      user: guest.user.name,
      seconds: 60,
    });
    offset += 61_000;
    try {
      expect((await call("GET", "/api/invitations", guest)).body).toEqual({ invites: [] });
      expect((await call("POST", `/api/invitations/${r.id}/accept`, guest)).body.code).toBe(
        "INVITE_NOT_FOUND",
      );
    } finally {
      offset -= 61_000;
    }
  });
});
