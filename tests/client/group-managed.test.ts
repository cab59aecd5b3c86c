/**
 * A group's members are its signed membership versions (docs/e2ee.md 12): the community tools
 * that change who is in a room (moderation, invite codes, invitations) are refused there with
 * GROUP_MANAGED, on frames and HTTP routes alike, so the server's member list never drifts from
 * the chain; and a deleted account leaves its groups without blocking them.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { api, type Request, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupSuite, joinedGroup, type Member, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const suite = groupSuite("group-managed");

const member = () => suite.member();

/** The code a frame is refused with ("ok" if it is not). */
async function refusal(m: Member, frame: Request): Promise<string> {
  try {
    await m.device.conn.request(frame as never);
    return "ok";
  } catch (err) {
    return (err as { code: string }).code;
  }
}

const memberIds = async (room: number) =>
  (await suite.server.store.membersOf(room)).map((u) => u.id).sort((a, b) => a - b);

describe("a group's membership is its signed versions only", () => {
  it("refuses moderation, invite codes and invitations in a group with GROUP_MANAGED, on frames and HTTP, and to outsiders says nothing", async () => {
    const [alice, bob] = [await member(), await member()];
    const carol = await register(suite.server.url);
    const room = (await alice.groups.create(unique("g"), [nameOf(bob)])).id;
    await joinedGroup(bob, room);
    const before = await memberIds(room);
    expect(before).toHaveLength(2);

    // Alice is the room's owner as the server sees it, yet none of this is hers to do here.
    const frames: Request[] = [
      { type: "invite_create", room },
      { type: "invite_user", room, user: carol.user.name },
      { type: "moderate", room, action: "kick", user: nameOf(bob) },
      { type: "moderate", room, action: "ban", user: nameOf(bob) },
      { type: "moderate", room, action: "mute", user: nameOf(bob) },
      { type: "moderate", room, action: "op", user: nameOf(bob) },
      { type: "moderate", room, action: "transfer", user: nameOf(bob) },
    ];
    for (const frame of frames) {
      expect([frame.type, await refusal(alice, frame)]).toEqual([frame.type, "GROUP_MANAGED"]);
    }
    const token = alice.account.token;
    const routes: [string, string, unknown][] = [
      ["POST", `/api/rooms/${room}/invites`, {}],
      ["POST", `/api/rooms/${room}/invitations`, { user: carol.user.name }],
      ["POST", `/api/rooms/${room}/moderation`, { action: "kick", user: nameOf(bob) }],
    ];
    for (const [method, path, body] of routes) {
      const res = await api<{ code?: string }>(suite.server.url, method, path, body, token);
      expect([path, res.status, res.body.code]).toEqual([path, 409, "GROUP_MANAGED"]);
    }
    // To someone outside it, the group does not exist.
    const outside = await api<{ code?: string }>(
      suite.server.url,
      "POST",
      `/api/rooms/${room}/moderation`,
      { action: "kick", user: nameOf(bob) },
      carol.token,
    );
    expect([outside.status, outside.body.code]).toEqual([404, "ROOM_NOT_FOUND"]);

    // Nothing changed: the same members, no invitation for carol, and messages still go through.
    expect(await memberIds(room)).toEqual(before);
    const invites = await api<{ invites: unknown[] }>(
      suite.server.url,
      "GET",
      "/api/invitations",
      undefined,
      carol.token,
    );
    expect(invites.body.invites).toEqual([]);
    alice.groups.send(room, "still together");
    await until(() => bob.texts.includes("still together"), "bob to read alice");
  });

  it("removes a deleted account from the server's members; the others keep talking and an admin's version drops it from the chain", async () => {
    const [alice, bob, carol] = [await member(), await member(), await member()];
    const room = (await alice.groups.create(unique("g"), [nameOf(bob), nameOf(carol)])).id;
    await joinedGroup(bob, room);
    await joinedGroup(carol, room);
    alice.groups.send(room, "before");
    await until(() => bob.texts.includes("before"), "bob to read alice");

    const deleted = await api(
      suite.server.url,
      "DELETE",
      "/api/account",
      { password: "correct horse" },
      bob.account.token,
    );
    expect(deleted.status).toBe(204);
    expect(await memberIds(room)).not.toContain(bob.account.user.id);

    // The chain still names bob until an admin drops him; sending does not wait for that.
    alice.groups.send(room, "after bob left");
    await until(() => carol.texts.includes("after bob left"), "carol to read alice");
    await alice.groups.remove(room, [nameOf(bob)]);
    await until(
      () => carol.changes.some((c) => c.text === `${nameOf(alice)} removed ${nameOf(bob)}`),
      "carol to see bob removed",
    );
    expect(await alice.groups.members(room)).toEqual(
      [alice, carol].map((m) => String(m.account.user.id)).sort(),
    );
  });
});
