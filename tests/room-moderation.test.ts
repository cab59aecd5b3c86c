/**
 * Moderation on a real server: roles, kicks, bans, mutes, the topic, ownership transfer, the audit
 * log, moderator deletion and reports. The many-node kick and ban are in multinode-moderation.test.ts.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { AuditEntry } from "../db/store.ts";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, register, unique } from "./support/client.ts";
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

/** The server's clock runs this far ahead of the real one: tests move it to expire things. */
let offset = 0;
communityServer(() => Date.now() + offset);

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

  it("stores a muted member's leave: a mute stops what they say, not their going", async () => {
    const { owner, r, others } = await roomWith(1);
    const bob = others[0] as Account;
    const ownerWs = await socket(owner);
    await ownerWs.request({ type: "join", room: r.id });
    await moderate(owner, r.id, { action: "mute", user: bob.user.name, seconds: 300 });
    expect((await call("POST", `/api/rooms/${r.id}/leave`, bob)).status).toBe(204);
    const left = await ownerWs.waitFor((f) => f.type === "event" && f.kind === "leave");
    expect(left).toMatchObject({ room: r.id, from: bob.user });
    expect(await server.store.isMember(r.id, bob.user.id)).toBe(false);
    const log = await server.store.logAfter(r.id, 0, 50);
    expect(log.map((e) => ("kind" in e ? e.kind : "message"))).toEqual(["join", "mute", "leave"]);
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
