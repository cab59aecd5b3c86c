/**
 * Getting into a room by invitation on a real server: invite codes (uses, expiry, revocation, who
 * may make them) and invitations by name (live, listed, accepted, declined, refused, expired).
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
  room,
  server,
  socket,
} from "./support/communities.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** The server's clock runs this far ahead of the real one: tests move it to expire things. */
let offset = 0;
communityServer(() => Date.now() + offset);

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
