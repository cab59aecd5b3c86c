/**
 * Moderation in the interactive terminal client, as a person types it: /op, /who with roles,
 * /mute, /topic, /invite, /kick, and /accept of an invite code.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { api, connect, createRoom, joinRoom, register, unique } from "../support/client.ts";
import { suiteDir, suiteServer } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { spawnLoggedIn } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("moderation in the interactive client", () => {
  const server = suiteServer();
  const aliceConfig = suiteDir("parley-config-");
  const daveConfig = suiteDir("parley-config-");
  const ownerConfig = suiteDir("parley-config-");
  const guestConfig = suiteDir("parley-config-");

  it("should op, show roles in /who, mute, set the topic, make an invite code and kick", async () => {
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    await joinRoom(server.url, bob.token, room);
    const client = spawnLoggedIn(server.url, alice, aliceConfig.path);
    const bobWs = await connect(server.wsUrl, bob.token);
    try {
      await client.waitFor(new RegExp(`#${name}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${name}`));
      await bobWs.request({ type: "join", room });

      client.type(`/op ${bob.user.name}\r`);
      await client.waitFor(new RegExp(`Done: op ${bob.user.name}`));
      client.type("/who\r");
      await client.waitFor(/Members of #.*\(~ owner, @ moderator\)/);
      const who = client.screen.lines().join(" ").replace(/\s+/g, " ");
      expect(who).toContain(`~${alice.user.name}`);
      expect(who).toContain(`@${bob.user.name}`);

      client.type(`/deop ${bob.user.name}\r`);
      await client.waitFor(new RegExp(`Done: deop ${bob.user.name}`));
      client.type(`/mute ${bob.user.name} 10m flooding\r`);
      await client.waitFor(new RegExp(`Done: mute ${bob.user.name}`));
      const refused = await bobWs.request({ type: "send", room, cid: unique("c"), body: "x" });
      expect(refused).toMatchObject({ type: "error", code: "MUTED" });

      client.type("/topic be kind\r");
      await client.waitFor(/Topic set/);

      client.type("/invite 1 1d\r");
      await client.waitFor(/Invite code: [A-Za-z0-9_-]{22}/);
      const code = /Invite code: ([A-Za-z0-9_-]{22})/.exec(client.screen.text())?.[1] as string;

      client.type(`/kick ${bob.user.name} bye\r`);
      await client.waitFor(new RegExp(`Done: kick ${bob.user.name}`));
      expect(await bobWs.waitFor((f) => f.type === "removed")).toMatchObject({ reason: "kicked" });

      // The code the client showed works for someone else.
      const carol = await register(server.url, unique("ca"));
      const accepted = await api(
        server.url,
        "POST",
        `/api/invites/${code}/accept`,
        undefined,
        carol.token,
      );
      expect(accepted.status).toBe(200);
    } finally {
      client.proc.kill();
      bobWs.ws.close();
    }
  });

  it("should join a room with /accept CODE", async () => {
    const owner = await register(server.url, unique("ow"));
    const dave = await register(server.url, unique("da"));
    const res = await api<{ room: { id: number; name: string } }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: unique("p"), visibility: "private" },
      owner.token,
    );
    const invite = await api<{ invite: { code: string } }>(
      server.url,
      "POST",
      `/api/rooms/${res.body.room.id}/invites`,
      {},
      owner.token,
    );
    const other = await createRoom(server.url, dave.token, unique("d"));
    expect(other).toBeGreaterThan(0);
    const client = spawnLoggedIn(server.url, dave, daveConfig.path);
    try {
      await client.waitFor(/#/);
      client.type("\r");
      await client.waitFor(/You are in #/);
      client.type(`/accept ${invite.body.invite.code}\r`);
      await client.waitFor(new RegExp(`You are in #${res.body.room.name}`));
    } finally {
      client.proc.kill();
    }
  });

  it("should rename a room with /rename and make it read-only with /archive", async () => {
    const owner = await register(server.url, unique("ow"));
    const bob = await register(server.url, unique("bo"));
    const name = unique("r");
    const room = await createRoom(server.url, owner.token, name);
    await joinRoom(server.url, bob.token, room);
    const client = spawnLoggedIn(server.url, owner, ownerConfig.path);
    const bobWs = await connect(server.wsUrl, bob.token);
    try {
      // The room picker lists every public room of this shared server: enter any, then switch.
      await client.waitFor(/#/);
      client.type("\r");
      await client.waitFor(/You are in #/);
      client.type(`/switch ${name}\r`);
      await client.waitFor(new RegExp(`· #${name} ·`));
      await bobWs.request({ type: "join", room });
      const renamed = unique("n");
      client.type(`/rename ${renamed}\r`);
      await client.waitFor(new RegExp(`Room renamed to #${renamed}`));
      expect(await bobWs.waitFor((f) => f.type === "event" && f.kind === "rename")).toMatchObject({
        body: renamed,
      });
      client.type("/archive\r");
      await client.waitFor(/Room archived/);
      const refused = await bobWs.request({ type: "send", room, cid: unique("c"), body: "x" });
      expect(refused).toMatchObject({ type: "error", code: "ROOM_ARCHIVED" });
    } finally {
      client.proc.kill();
      bobWs.ws.close();
    }
  });

  it("should invite by name with /invite NAME; the invitee sees it live, lists it with /invites and joins with /accept ROOM", async () => {
    const owner = await register(server.url, unique("ow"));
    const guest = await register(server.url, unique("gu"));
    const made = await api<{ room: { id: number; name: string } }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: unique("p"), visibility: "private" },
      owner.token,
    );
    const room = made.body.room;
    await createRoom(server.url, guest.token, unique("g"));
    const client = spawnLoggedIn(server.url, guest, guestConfig.path);
    const ownerWs = await connect(server.wsUrl, owner.token);
    try {
      await client.waitFor(/#/);
      client.type("\r");
      await client.waitFor(/You are in #/);
      await ownerWs.request({ type: "join", room: room.id });
      await ownerWs.request({ type: "invite_user", room: room.id, user: guest.user.name });
      await client.waitFor(new RegExp(`Invitation from ${owner.user.name} to #${room.name}`));
      client.type("/invites\r");
      await client.waitFor(new RegExp(`/decline ${room.name}[\\s\\S]*/decline ${room.name}`));
      client.type(`/accept ${room.name}\r`);
      await client.waitFor(new RegExp(`You are in #${room.name}`));
      const members = await ownerWs.request({ type: "members", room: room.id });
      expect(JSON.stringify(members)).toContain(guest.user.name);
    } finally {
      client.proc.kill();
      ownerWs.ws.close();
    }
  });
});
