/**
 * A moderation action and the event of the room's log that tells of it are one transaction
 * (Store.moderateWithEvent, src/server/moderation.ts): on both stores, a refused event undoes
 * the action, and a private room's last leave archives it in the leave's transaction; and a server killed with SIGKILL in the middle of a burst of kicks never leaves a
 * kicked member without the kick in the timeline, nor a kick for someone still in the room.
 */
import { Database } from "bun:sqlite";
import { afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { Seeder } from "../bench/seed.ts";
import type { AppendRequest, LoggedModeration, ModerationAct, Store } from "../db/store.ts";
import type { EventKind, UserRef } from "../src/protocol/index.ts";
import { connect } from "./support/client.ts";
import { type ChildServer, spawnServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("moderation with its event", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });

  function event(room: number, sender: UserRef, kind: EventKind, user?: UserRef): AppendRequest {
    const cid = `${kind}-${crypto.randomUUID()}`;
    return { room, sender, cid, body: "", ts: T0 + 9, event: { kind, ...(user ? { user } : {}) } };
  }

  async function roomOfThree() {
    const owner = await c.user();
    const member = await c.user();
    const outsider = await c.user();
    const r = await c.room(owner);
    await store.addMember(r.id, member.id, T0);
    return { owner, member, outsider, r };
  }

  function act(room: number, actor: UserRef, a: ModerationAct, e: AppendRequest) {
    return store.moderateWithEvent({ room, actor, act: a, reason: "spam", now: T0 + 9 }, e);
  }

  function storedEvent(result: LoggedModeration) {
    if (result === "unchanged" || !result.ok || !result.event) {
      throw new Error(`expected a stored event, got ${JSON.stringify(result)}`);
    }
    return result.event;
  }

  it("stores a kick, its audit row and its event together, the event at the room's head", async () => {
    const { owner, member, r } = await roomOfThree();
    const before = (await store.findRoom(r.id))?.head ?? -1;
    const kick = { action: "kick", target: member.id } as const;
    const e = storedEvent(await act(r.id, owner, kick, event(r.id, owner, "kick", member)));
    expect(e).toMatchObject({ kind: "kick", from: owner, user: member, seq: before + 1 });
    expect(await store.isMember(r.id, member.id)).toBe(false);
    expect((await store.auditLog(r.id, 5)).map((a) => a.action)).toEqual(["kick"]);
    const log = await store.logAfter(r.id, before, 10);
    expect(log.map((x) => ("kind" in x ? x.kind : "message"))).toEqual(["kick"]);
  });

  it("undoes the kick when its event is refused: still a member, no audit row, no entry", async () => {
    const { owner, member, outsider, r } = await roomOfThree();
    const before = (await store.findRoom(r.id))?.head;
    const kick = { action: "kick", target: member.id } as const;
    // The event's sender is no member: the append refuses it, so the whole action rolls back.
    const result = await act(r.id, owner, kick, event(r.id, outsider, "kick", member));
    expect(result).toEqual({ ok: false, code: "NOT_MEMBER" });
    expect(await store.isMember(r.id, member.id)).toBe(true);
    expect(await store.auditLog(r.id, 5)).toEqual([]);
    expect((await store.findRoom(r.id))?.head).toBe(before);
  });

  it("undoes a ban, a mute and a role change the same way", async () => {
    const { owner, member, outsider, r } = await roomOfThree();
    const refused = (a: ModerationAct, kind: EventKind) =>
      act(r.id, owner, a, event(r.id, outsider, kind, member));
    expect(await refused({ action: "ban", target: member.id, until: null }, "ban")).toEqual({
      ok: false,
      code: "NOT_MEMBER",
    });
    expect(await store.isBanned(r.id, member.id, T0 + 10)).toBe(false);
    expect(await store.isMember(r.id, member.id)).toBe(true);
    await refused({ action: "mute", target: member.id, until: T0 + 60_000 }, "mute");
    await refused({ action: "role", target: member.id, role: "moderator" }, "role");
    expect(await store.standing(r.id, member.id)).toEqual({ role: "member", mutedUntil: 0 });
    expect(await store.auditLog(r.id, 5)).toEqual([]);
  });

  it("stores nothing when the action changes nothing: no event, no audit row", async () => {
    const { owner, outsider, r } = await roomOfThree();
    const before = (await store.findRoom(r.id))?.head;
    const kick = { action: "kick", target: outsider.id } as const;
    expect(await act(r.id, owner, kick, event(r.id, owner, "kick", outsider))).toBe("unchanged");
    const unban = { action: "unban", target: outsider.id } as const;
    expect(await act(r.id, owner, unban, event(r.id, owner, "unban", outsider))).toBe("unchanged");
    expect((await store.findRoom(r.id))?.head).toBe(before);
    expect(await store.auditLog(r.id, 5)).toEqual([]);
  });

  it("stores an archive's event although the room it archives is read-only from then on", async () => {
    const { owner, r } = await roomOfThree();
    const e = storedEvent(
      await act(r.id, owner, { action: "archive" }, event(r.id, owner, "archive")),
    );
    expect(e.kind).toBe("archive");
    expect((await store.findRoom(r.id))?.archivedAt).toBe(T0 + 9);
  });
  it("archives a private room with its last member's leave, one transaction; a public room stays open", async () => {
    const owner = await c.user();
    const secret = await store.createRoom(fresh("p"), "", owner.id, T0, "private");
    const open = await c.room(owner);
    if (secret === "taken") throw new Error("room taken");
    const leave = (room: number) => store.changeMembership("leave", event(room, owner, "leave"));
    const last = await leave(secret.id);
    if (last === "unchanged" || !last.ok) throw new Error(JSON.stringify(last));
    expect(last.event?.body).toBe("archived");
    expect((await store.findRoom(secret.id))?.archivedAt).toBe(T0 + 9);
    expect((await store.auditLog(secret.id, 5)).map((a) => [a.action, a.actor, a.reason])).toEqual([
      ["archive", owner, "the last member left"],
    ]);
    const left = await leave(open.id);
    if (left === "unchanged" || !left.ok) throw new Error(JSON.stringify(left));
    expect(left.event?.body).toBeUndefined();
    expect((await store.findRoom(open.id))?.archivedAt ?? null).toBeNull();
  });
});

describe("kill -9 during a burst of kicks", () => {
  const dirs: { remove(): void }[] = [];
  const children: ChildServer[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill().catch(() => {});
    for (const d of dirs.splice(0)) d.remove();
  });

  /** Kicks in `lanes` lanes until the server dies; the number of kicks answered. */
  async function kickUntilKilled(
    server: ChildServer,
    owner: string,
    room: number,
    names: string[],
  ) {
    const ws = await connect(server.wsUrl, owner);
    let next = 0;
    let answered = 0;
    let alive = true;
    ws.closed.then(() => {
      alive = false;
    });
    const lane = async () => {
      while (alive && next < names.length) {
        const user = names[next++] as string;
        try {
          await ws.request({ type: "moderate", room, action: "kick", user }, 3000);
          answered++;
        } catch {
          return; // no answer: the server died first
        }
      }
    };
    const lanes = Promise.all(Array.from({ length: 16 }, lane));
    for (const deadline = Date.now() + 20_000; answered < 20 && Date.now() < deadline; ) {
      await Bun.sleep(1);
    }
    // Killed at a moment unrelated to any answer, with kicks in flight in every lane.
    await Bun.sleep(Math.random() * 40);
    await server.kill();
    await lanes;
    expect(next).toBeLessThan(names.length); // killed mid-burst, not after it
    return answered;
  }

  /** Who is still in the room, who the log says was kicked, and how many kicks were audited. */
  function onDisk(db: string, room: number) {
    const check = new Database(db, { readonly: true });
    const stillIn = new Set(
      check
        .query<{ id: number }, [number]>("SELECT user_id AS id FROM members WHERE room_id = ?")
        .all(room)
        .map((r) => r.id),
    );
    const kicked = check
      .query<{ data: string }, [number]>(
        "SELECT data FROM messages WHERE room_id = ? AND kind = 'kick'",
      )
      .all(room)
      .map((r) => (JSON.parse(r.data) as { user: UserRef }).user.id);
    const audited = check
      .query<{ n: number }, [number]>(
        "SELECT count(*) AS n FROM audit_log WHERE room_id = ? AND action = 'kick'",
      )
      .get(room)?.n;
    check.close();
    return { stillIn, kicked, audited };
  }

  it("never leaves a kicked member without the kick event, nor a kick event for a member", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = join(dir.path, "parley.db");
    const seed = Seeder.sqlite(db);
    const users = await seed.users(900);
    const room = await seed.room(users);
    await seed.close();
    const [owner, ...members] = users;
    if (!owner) throw new Error("seed: no owner");
    let left = members;
    // Three rounds on the same file: each burst is killed at a random moment.
    for (let round = 0; round < 3; round++) {
      const args = ["--rate", "100000", "--burst", "100000"];
      const server = await spawnServer({ db, extraArgs: args });
      children.push(server);
      const answered = await kickUntilKilled(
        server,
        owner.token,
        room,
        left.map((m) => m.name),
      );
      const { stillIn, kicked, audited } = onDisk(db, room);
      const gone = members.filter((m) => !stillIn.has(m.user)).map((m) => m.user);
      expect(gone.length).toBeGreaterThanOrEqual(members.length - left.length + answered);
      expect(kicked.sort((a, b) => a - b)).toEqual(gone.sort((a, b) => a - b));
      expect(audited).toBe(gone.length);
      left = members.filter((m) => stillIn.has(m.user));
    }
  });
});
