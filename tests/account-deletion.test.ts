/**
 * Deleting an account never leaves a live room without an owner (db/account-departure.ts): on
 * both stores, the deletion's transaction makes the room's best remaining member its owner, with
 * a `role` event and an audit row, and archives a private room it was the last member of. On a
 * real server, an admin deletes a room's owner, the successor moderates at once, and the event
 * is in history, arrives live, and comes again after a resume.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { OWNER_DELETED, type Store } from "../db/store.ts";
import { PostgresStore } from "../db/store-postgres.ts";
import type { RoomEvent, RoomSummary, ServerFrameOf, UserRef } from "../src/protocol/index.ts";
import { type Account, api, connect, register, type TestSocket, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { createTestDatabase, type TestDatabase } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, pg, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

type Event = RoomEvent;

storeContract("account deletion and room ownership", (c) => {
  let store: Store;
  let root: UserRef;
  beforeAll(async () => {
    store = c.store;
    root = await c.user("root");
  });
  const by = () => ({ actor: root, reason: "asked to", now: T0 + 100 });

  /** A room of `owner` with each of `members` joined at T0 + its index (earliest first). */
  async function roomWith(owner: UserRef, members: UserRef[], visibility?: "private") {
    const r = await store.createRoom(fresh("r"), "", owner.id, T0, visibility);
    if (r === "taken") throw new Error("room taken");
    for (const [i, m] of members.entries()) await store.addMember(r.id, m.id, T0 + 1 + i);
    return r;
  }

  function op(room: number, owner: UserRef, target: UserRef) {
    const act = { action: "role", target: target.id, role: "moderator" } as const;
    return store.moderate({ room, actor: owner, act, reason: "", now: T0 + 50 });
  }

  it("makes the longest-standing moderator owner, with a role event before the leave and an audit row", async () => {
    const owner = await c.user();
    const [oldest, laterMod, firstMod] = [await c.user(), await c.user(), await c.user()];
    const r = await roomWith(owner, [oldest, firstMod, laterMod]);
    await op(r.id, owner, laterMod);
    await op(r.id, owner, firstMod);
    const head = (await store.findRoom(r.id))?.head ?? -1;
    expect(await store.deleteAccount(owner.id, by())).toBe(true);

    expect(await store.standing(r.id, firstMod.id)).toEqual({ role: "owner", mutedUntil: 0 });
    expect((await store.standing(r.id, laterMod.id))?.role).toBe("moderator");
    expect((await store.standing(r.id, oldest.id))?.role).toBe("member");
    const gone = { id: owner.id, name: `deleted-${owner.id}` };
    const log = (await store.logAfter(r.id, head, 10)) as Event[];
    expect(log.map((e) => [e.kind, e.from, e.user, e.body])).toEqual([
      ["role", gone, firstMod, "owner"],
      ["leave", gone, undefined, "account deleted"],
    ]);
    const [audit] = await store.auditLog(r.id, 1);
    expect(audit).toMatchObject({
      action: "succession",
      actor: root,
      target: firstMod,
      reason: OWNER_DELETED,
      detail: JSON.stringify({ role: "owner", after: owner.id }),
    });
  });

  it("with no moderator, makes the longest-standing member owner, passing over a disabled account", async () => {
    const owner = await c.user();
    const [disabled, second, third] = [await c.user(), await c.user(), await c.user()];
    const r = await roomWith(owner, [disabled, second, third]);
    await store.setDisabled(disabled.id, true, by());
    await store.deleteAccount(owner.id, by());
    const roles = await store.standings(r.id);
    expect([disabled, second, third].map((u) => roles.get(u.id)?.role)).toEqual([
      "member",
      "owner",
      "member",
    ]);
  });

  it("gives no room away when the account was no owner, and changes no other room", async () => {
    const owner = await c.user();
    const member = await c.user();
    const other = await c.user();
    const r = await roomWith(owner, [member, other]);
    await store.deleteAccount(member.id, by());
    const roles = await store.standings(r.id);
    expect([owner, other].map((u) => roles.get(u.id)?.role)).toEqual(["owner", "member"]);
    expect((await store.auditLog(r.id, 5)).map((a) => a.action)).toEqual([]);
  });

  it("leaves a group's roles to its signed chain: no successor, no event", async () => {
    const owner = await c.user();
    const member = await c.user();
    const group = await roomWith(owner, [member], "private");
    await store.markGroup(group.id);
    const head = (await store.findRoom(group.id))?.head;
    await store.deleteAccount(owner.id, by());
    expect((await store.standing(group.id, member.id))?.role).toBe("member");
    expect((await store.findRoom(group.id))?.head).toBe(head);
    expect(await store.auditLog(group.id, 5)).toEqual([]);
  });

  it("archives a private room it was the last member of, audited; a public one stays open", async () => {
    const owner = await c.user();
    const secret = await roomWith(owner, [], "private");
    const open = await roomWith(owner, []);
    await store.deleteAccount(owner.id, by());
    expect((await store.findRoom(secret.id))?.archivedAt).toBe(T0 + 100);
    expect((await store.auditLog(secret.id, 5)).map((a) => [a.action, a.reason])).toEqual([
      ["archive", "the last member left"],
    ]);
    expect((await store.findRoom(open.id))?.archivedAt ?? null).toBeNull();
    expect(await store.auditLog(open.id, 5)).toEqual([]);
  });
});

/** The server test, on each store: SQLite, and PostgreSQL when it runs. */
const backends: { name: string; skip: boolean }[] = [
  { name: "SQLite", skip: false },
  { name: "PostgreSQL", skip: pg.skip },
];

for (const backend of backends) {
  describe.skipIf(backend.skip)(
    `deleting a room's owner on a real server (${backend.name})`,
    () => {
      let server: TestServer;
      let db: TestDatabase | undefined;
      const sockets: TestSocket[] = [];
      beforeAll(async () => {
        if (backend.name === "PostgreSQL") db = await createTestDatabase();
        const url = db?.url;
        server = await startTestServer({}, url ? { store: () => PostgresStore.open({ url }) } : {});
      });
      afterAll(async () => {
        for (const s of sockets) s.ws.close();
        await server.close();
        await db?.drop();
      });

      function call<T = Record<string, unknown>>(
        method: string,
        path: string,
        who: Account,
        body?: unknown,
      ) {
        return api<T & { code?: string }>(server.url, method, path, body, who.token);
      }

      async function socket(a: Account): Promise<TestSocket> {
        const s = await connect(server.wsUrl, a.token);
        sockets.push(s);
        return s;
      }

      it("makes the moderator owner: it moderates at once, and the event is live, in history and resumed", async () => {
        const [root, alice, bob, carol, dave] = await Promise.all(
          [1, 2, 3, 4, 5].map(() => register(server.url)),
        );
        if (!root || !alice || !bob || !carol || !dave) throw new Error("registration failed");
        await server.store.setAdmin(root.user.id, true, {
          actor: root.user,
          reason: "",
          now: Date.now(),
        });
        const made = await call<{ room: RoomSummary }>("POST", "/api/rooms", alice, {
          name: unique("own"),
        });
        const room = made.body.room.id;
        for (const who of [bob, carol, dave]) await call("POST", `/api/rooms/${room}/join`, who);
        const op = { action: "op", user: carol.user.name };
        expect((await call("POST", `/api/rooms/${room}/moderation`, alice, op)).status).toBe(204);
        // Before the deletion, carol may not name moderators: that is the owner's right.
        const early = { action: "op", user: dave.user.name };
        expect((await call("POST", `/api/rooms/${room}/moderation`, carol, early)).body.code).toBe(
          "NOT_ALLOWED",
        );
        const watcher = await socket(bob);
        const joined = await watcher.request<ServerFrameOf<"joined">>({ type: "join", room });
        const before = joined.room.head;

        const deleted = await call("POST", `/api/admin/users/${alice.user.name}/delete`, root, {
          reason: "gone",
        });
        expect(deleted.status).toBe(204);
        const gone = { id: alice.user.id, name: `deleted-${alice.user.id}` };
        const expected = [
          ["role", gone, carol.user, "owner"],
          ["leave", gone, undefined, "account deleted"],
        ];
        const shape = (e: Event) => [e.kind, e.from, e.user, e.body];

        // Live: bob's socket gets the role event, then the leave.
        await watcher.waitFor((f) => f.type === "event" && f.kind === "leave", 10_000);
        const live = watcher.frames.filter(
          (f): f is ServerFrameOf<"event"> =>
            f.type === "event" && f.room === room && f.seq > before,
        );
        expect(live.map(shape)).toEqual(expected);

        // The successor moderates at once: it names a moderator, which only an owner may.
        expect((await call("POST", `/api/rooms/${room}/moderation`, carol, early)).status).toBe(
          204,
        );
        const audit = await call<{ entries: { action: string; target?: UserRef }[] }>(
          "GET",
          `/api/rooms/${room}/audit`,
          carol,
        );
        expect(audit.status).toBe(200);
        expect(audit.body.entries.find((e) => e.action === "succession")?.target).toEqual(
          carol.user,
        );

        // In history.
        const reader = await socket(carol);
        const page = await reader.request<ServerFrameOf<"history">>({
          type: "history",
          room,
          after: before,
        });
        expect((page.events ?? []).slice(0, 2).map(shape)).toEqual(expected);

        // After a resume from before the deletion.
        const again = await socket(bob);
        await again.request({ type: "resume", rooms: [{ room, after: before }] });
        const resumed = again.frames.filter(
          (f): f is ServerFrameOf<"event"> => f.type === "event" && f.room === room,
        );
        expect(resumed.slice(0, 2).map(shape)).toEqual(expected);
      });
    },
  );
}
