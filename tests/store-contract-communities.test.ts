/**
 * The store contract, its part for communities (db/community-store.ts, db/user-invite-store.ts):
 * roles, mutes, bans, invites by code and by name, the audit log and reports. Each case runs
 * against SQLite and PostgreSQL (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store } from "../db/store.ts";
import { nameKey, type UserRef } from "../src/protocol/index.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("communities", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user, room, req } = c;

  describe("communities (migration 009)", () => {
    async function privateRoom(owner: UserRef) {
      const r = await store.createRoom(fresh("Priv"), "", owner.id, T0, "private");
      if (r === "taken") throw new Error("room taken");
      return r;
    }

    it("keeps a private room out of every listing but its members' own", async () => {
      const owner = await user();
      const other = await user();
      const r = await privateRoom(owner);
      expect(r.visibility).toBe("private");
      expect((await store.listRooms()).some((x) => x.id === r.id)).toBe(false);
      expect((await store.listRoomsPage("", 1000)).some((x) => x.id === r.id)).toBe(false);
      expect((await store.joinedRooms(owner.id)).map((x) => x.id)).toContain(r.id);
      expect((await store.joinedRooms(other.id)).map((x) => x.id)).not.toContain(r.id);
      expect((await store.findRoomByName(r.name))?.visibility).toBe("private");
    });

    it("makes the creator owner, later members members, and reads standings", async () => {
      const owner = await user();
      const m = await user();
      const r = await room(owner);
      await store.addMember(r.id, m.id, T0);
      expect(await store.standing(r.id, owner.id)).toEqual({ role: "owner", mutedUntil: 0 });
      expect(await store.standing(r.id, m.id)).toEqual({ role: "member", mutedUntil: 0 });
      expect(await store.standing(r.id, (await user()).id)).toBeUndefined();
      const all = await store.standings(r.id);
      expect(all.get(owner.id)?.role).toBe("owner");
      expect(all.size).toBe(2);
    });

    it("applies role changes and transfers, and never demotes an owner by a role change", async () => {
      const owner = await user();
      const m = await user();
      const r = await room(owner);
      await store.addMember(r.id, m.id, T0);
      const act = (a: Parameters<Store["moderate"]>[0]["act"]) =>
        store.moderate({ room: r.id, actor: owner, act: a, reason: "", now: T0 + 1 });
      expect(await act({ action: "role", target: m.id, role: "moderator" })).toBe(true);
      expect(await act({ action: "role", target: m.id, role: "moderator" })).toBe(false);
      expect(await act({ action: "role", target: owner.id, role: "member" })).toBe(false);
      expect(await act({ action: "transfer", target: m.id })).toBe(true);
      expect((await store.standing(r.id, m.id))?.role).toBe("owner");
      expect((await store.standing(r.id, owner.id))?.role).toBe("moderator");
    });

    it("mutes a member: their appends are refused with MUTED until the mute ends", async () => {
      const owner = await user();
      const m = await user();
      const r = await room(owner);
      await store.addMember(r.id, m.id, T0);
      const until = T0 + 100;
      expect(
        await store.moderate({
          room: r.id,
          actor: owner,
          act: { action: "mute", target: m.id, until },
          reason: "spam",
          now: T0,
        }),
      ).toBe(true);
      const [refused] = await store.append([{ ...req(r.id, m, fresh("c")), ts: until - 1 }]);
      expect(refused).toEqual({ ok: false, code: "MUTED" });
      const [later] = await store.append([{ ...req(r.id, m, fresh("c")), ts: until }]);
      expect(later?.ok).toBe(true);
    });

    it("renames and archives a room (migration 010): an archived room refuses appends with ROOM_ARCHIVED but takes room events", async () => {
      const owner = await user();
      const m = await user();
      const r = await room(owner);
      await store.addMember(r.id, m.id, T0);
      const act = (a: Parameters<Store["moderate"]>[0]["act"]) =>
        store.moderate({ room: r.id, actor: owner, act: a, reason: "", now: T0 + 1 });
      const name = fresh("renamed");
      expect(await act({ action: "rename", name, key: nameKey(name) })).toBe(true);
      expect(await act({ action: "rename", name, key: nameKey(name) })).toBe(false);
      expect((await store.findRoom(r.id))?.name).toBe(name);
      expect((await store.findRoomByName(name.toUpperCase()))?.id).toBe(r.id);
      const [before] = await store.append([req(r.id, m, fresh("c"))]);
      expect(before?.ok).toBe(true);
      expect(await act({ action: "archive" })).toBe(true);
      expect(await act({ action: "archive" })).toBe(false);
      const [refused] = await store.append([req(r.id, m, fresh("c"))]);
      expect(refused).toEqual({ ok: false, code: "ROOM_ARCHIVED" });
      const [leave] = await store.append([
        { ...req(r.id, m, fresh("c")), body: "", event: { kind: "leave" } },
      ]);
      expect(leave?.ok).toBe(true);
      expect((await store.auditLog(r.id, 10)).map((e) => e.action)).toEqual(["archive", "rename"]);
    });

    it("invites a user by name: listed until it expires, accepted (joins, unless banned) or declined once, audited", async () => {
      const owner = await user();
      const guest = await user();
      const r = await privateRoom(owner);
      const by = { actor: owner, reason: "", now: T0 };
      await store.inviteUser(r.id, guest.id, by, T0 + 100);
      expect(await store.userInvites(guest.id, T0 + 1)).toEqual([
        { room: r.id, name: r.name, by: owner, expiresAt: T0 + 100 },
      ]);
      expect(await store.userInvites(guest.id, T0 + 100)).toEqual([]);
      expect(await store.answerUserInvite(r.id, guest.id, true, T0 + 100)).toEqual({
        ok: false,
        code: "INVITE_NOT_FOUND",
      });
      await store.inviteUser(r.id, guest.id, { ...by, now: T0 + 1 }, T0 + 200);
      expect(await store.answerUserInvite(r.id, guest.id, false, T0 + 2)).toEqual({
        ok: true,
        room: r.id,
        joined: false,
      });
      expect(await store.isMember(r.id, guest.id)).toBe(false);
      await store.inviteUser(r.id, guest.id, { ...by, now: T0 + 3 }, T0 + 200);
      // The join is stored with the membership, in the same transaction.
      expect(await store.answerUserInvite(r.id, guest.id, true, T0 + 4)).toEqual({
        ok: true,
        room: r.id,
        joined: true,
        event: expect.objectContaining({ kind: "join", from: guest, body: "invite", ts: T0 + 4 }),
      });
      expect((await store.logAfter(r.id, 0, 10)).at(-1)).toMatchObject({
        kind: "join",
        from: guest,
      });
      expect(await store.isMember(r.id, guest.id)).toBe(true);
      expect(await store.answerUserInvite(r.id, guest.id, true, T0 + 5)).toMatchObject({
        ok: false,
      });
      const banned = await user();
      await store.moderate({
        room: r.id,
        actor: owner,
        act: { action: "ban", target: banned.id, until: null },
        reason: "",
        now: T0,
      });
      await store.inviteUser(r.id, banned.id, by, T0 + 200);
      expect(await store.answerUserInvite(r.id, banned.id, true, T0 + 6)).toEqual({
        ok: false,
        code: "BANNED",
      });
      const log = await store.auditLog(r.id, 10);
      expect(log.filter((e) => e.action === "invite_user").map((e) => e.target)).toContainEqual(
        guest,
      );
    });

    it("kicks and bans: a ban removes the member, stops invites, and ends when it expires", async () => {
      const owner = await user();
      const m = await user();
      const r = await room(owner);
      await store.addMember(r.id, m.id, T0);
      const mod = (act: Parameters<Store["moderate"]>[0]["act"], now = T0) =>
        store.moderate({ room: r.id, actor: owner, act, reason: "why", now });
      expect(await mod({ action: "kick", target: m.id })).toBe(true);
      expect(await mod({ action: "kick", target: m.id })).toBe(false);
      expect(await store.isMember(r.id, m.id)).toBe(false);
      await store.addMember(r.id, m.id, T0);
      expect(await mod({ action: "ban", target: m.id, until: T0 + 50 })).toBe(true);
      expect(await store.isMember(r.id, m.id)).toBe(false);
      expect(await store.isBanned(r.id, m.id, T0 + 49)).toBe(true);
      expect(await store.isBanned(r.id, m.id, T0 + 50)).toBe(false);
      const hash = fresh("code");
      await store.createInvite({
        room: r.id,
        codeHash: hash,
        by: owner,
        now: T0,
        expiresAt: T0 + 1000,
        maxUses: 5,
      });
      expect(await store.redeemInvite(hash, m, T0 + 10)).toEqual({ ok: false, code: "BANNED" });
      expect(await mod({ action: "unban", target: m.id }, T0 + 10)).toBe(true);
      expect(await store.isBanned(r.id, m.id, T0 + 10)).toBe(false);
      const redeemed = await store.redeemInvite(hash, m, T0 + 11);
      expect(redeemed).toEqual({
        ok: true,
        room: r.id,
        joined: true,
        event: expect.objectContaining({ kind: "join", from: m, body: "invite" }),
      });
      const log = await store.logAfter(r.id, 0, 10);
      expect(log.at(-1)).toMatchObject({ kind: "join", from: m, body: "invite" });
      expect(log.at(-1)?.seq).toBe(redeemed.ok ? redeemed.event?.seq : -1);
    });

    it("spends invite uses, refuses expired, used-up and revoked invites", async () => {
      const owner = await user();
      const r = await room(owner);
      const hash = fresh("code");
      const id = await store.createInvite({
        room: r.id,
        codeHash: hash,
        by: owner,
        now: T0,
        expiresAt: T0 + 100,
        maxUses: 1,
      });
      const a = await user();
      const b2 = await user();
      expect(await store.redeemInvite(hash, a, T0 + 1)).toMatchObject({ ok: true, joined: true });
      // A member already spends nothing.
      expect(await store.redeemInvite(hash, owner, T0 + 1)).toEqual({
        ok: false,
        code: "INVITE_NOT_FOUND",
      });
      expect(await store.redeemInvite(hash, b2, T0 + 1)).toEqual({
        ok: false,
        code: "INVITE_NOT_FOUND",
      });
      const other = fresh("code");
      const id2 = await store.createInvite({
        room: r.id,
        codeHash: other,
        by: owner,
        now: T0,
        expiresAt: T0 + 100,
        maxUses: 10,
      });
      expect(await store.redeemInvite(other, b2, T0 + 100)).toMatchObject({ ok: false });
      expect(await store.revokeInvite(r.id, id2, owner, T0 + 2)).toBe(true);
      expect(await store.revokeInvite(r.id, id2, owner, T0 + 3)).toBe(false);
      expect(await store.redeemInvite(other, b2, T0 + 4)).toMatchObject({ ok: false });
      const listed = await store.invites(r.id);
      expect(listed.map((i) => i.id)).toEqual([id2, id]);
      expect(listed[0]).toMatchObject({ revokedAt: T0 + 2, uses: 0, maxUses: 10 });
      expect(listed[1]).toMatchObject({ uses: 1, maxUses: 1, createdBy: owner.id });
    });

    it("writes one audit row per action that changed something, newest first", async () => {
      const owner = await user();
      const m = await user();
      const r = await room(owner);
      await store.addMember(r.id, m.id, T0);
      await store.moderate({
        room: r.id,
        actor: owner,
        act: { action: "ban", target: m.id, until: null },
        reason: "spam",
        now: T0 + 1,
      });
      await store.moderate({
        room: r.id,
        actor: owner,
        act: { action: "kick", target: m.id },
        reason: "again",
        now: T0 + 2,
      });
      await store.moderate({
        room: r.id,
        actor: owner,
        act: { action: "topic", topic: "new" },
        reason: "",
        now: T0 + 3,
      });
      const log = await store.auditLog(r.id, 10);
      expect(log.map((e) => e.action)).toEqual(["topic", "ban"]);
      expect(log[1]).toEqual({
        id: expect.any(Number),
        room: r.id,
        actor: owner,
        action: "ban",
        target: m,
        reason: "spam",
        detail: JSON.stringify({ until: null }),
        at: T0 + 1,
      });
      expect(log[0]?.detail).toBe(JSON.stringify({ topic: "new" }));
      expect((await store.findRoom(r.id))?.topic).toBe("new");
      expect((await store.auditLog(undefined, 1000)).some((e) => e.id === log[0]?.id)).toBe(true);
    });

    it("stores reports, lists open ones per room and all, and resolves each once, audited", async () => {
      const owner = await user();
      const m = await user();
      const r = await room(owner);
      const id = await store.createReport(r.id, 3, m, "spam", T0);
      const open = await store.reports(r.id, true, 10);
      expect(open).toEqual([
        { id, room: r.id, seq: 3, reporter: m, reason: "spam", createdAt: T0, outcome: "" },
      ]);
      expect((await store.reports(undefined, true, 1000)).some((x) => x.id === id)).toBe(true);
      const by = { actor: owner, reason: "", now: T0 + 1 };
      expect(await store.resolveReport(r.id, id, "banned them", by)).toBe(true);
      expect(await store.resolveReport(r.id, id, "again", by)).toBe(false);
      expect(await store.reports(r.id, true, 10)).toEqual([]);
      expect((await store.reports(r.id, false, 10))[0]).toMatchObject({
        resolvedBy: owner.id,
        resolvedAt: T0 + 1,
        outcome: "banned them",
      });
      expect((await store.auditLog(r.id, 5))[0]?.action).toBe("report_resolve");
    });

    it("deletes a room with its audit row kept", async () => {
      const owner = await user();
      const r = await room(owner);
      expect(
        await store.moderate({
          room: r.id,
          actor: owner,
          act: { action: "delete_room" },
          reason: "done",
          now: T0,
        }),
      ).toBe(true);
      expect(await store.findRoom(r.id)).toBeUndefined();
      expect((await store.auditLog(r.id, 5)).map((e) => e.action)).toEqual(["delete_room"]);
    });
  });
});
