/**
 * The room's own events in the interactive terminal client, as a person sees them: joins,
 * kicks and topics as lines of the room's buffer, live and after a restart; /report, /reports
 * and /resolve; and an archived room said to be read-only.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { api, connect, createRoom, joinRoom, register, unique } from "../support/client.ts";
import { suiteDir, suiteServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { type PtyClient, saveLogin, spawnClient, spawnLoggedIn } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("room events in the interactive client", () => {
  const server = suiteServer();
  const config = suiteDir("parley-config-");

  it("shows joins, kicks and topics as lines, live and after a restart; reports and resolves; says an archived room is read-only", async () => {
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const carol = await register(server.url, unique("ca"));
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    await joinRoom(server.url, bob.token, room);
    const as = (who: { token: string }, method: string, path: string, body?: unknown) =>
      api<Record<string, unknown>>(server.url, method, path, body, who.token);
    // Logged in once: a restart finds the session (and the view) the last run left.
    saveLogin(config.path, server.url, alice);
    const start = () => spawnClient(["--server", server.url], { XDG_CONFIG_HOME: config.path });
    let client: PtyClient = start();
    const bobWs = await connect(server.wsUrl, bob.token);
    try {
      await client.waitFor(new RegExp(`#${name}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${name}`));
      // Bob joined before the client started: his join is in the room's history.
      await client.waitFor(new RegExp(`${bob.user.name} joined`));

      // Live.
      await joinRoom(server.url, carol.token, room);
      await client.waitFor(new RegExp(`${carol.user.name} joined`));
      await as(alice, "PUT", `/api/rooms/${room}/topic`, { topic: "be kind" });
      await client.waitFor(new RegExp(`${alice.user.name} set the topic: be kind`));
      await as(alice, "POST", `/api/rooms/${room}/moderation`, {
        action: "kick",
        user: carol.user.name,
        reason: "spam",
      });
      await client.waitFor(new RegExp(`${alice.user.name} kicked ${carol.user.name}: spam`));

      // A report of bob's message, seen and resolved by the owner.
      await bobWs.request({ type: "join", room });
      await bobWs.request({ type: "send", room, cid: unique("c"), body: "buy pills now" });
      await client.waitFor(/buy pills now/);
      client.type("/report selling things\r");
      await client.waitFor(new RegExp(`Reported ${bob.user.name}'s message to the moderators`));
      client.type("/reports\r");
      await client.waitFor(/Open reports[\s\S]*buy pills now[\s\S]*selling things/);
      const open = await as(alice, "GET", `/api/rooms/${room}/reports`);
      const id = (open.body.reports as { id: number; reason: string }[])[0]?.id;
      expect(open.body.reports).toEqual([expect.objectContaining({ reason: "selling things" })]);
      client.type(`/resolve ${id} warned them\r`);
      await client.waitFor(new RegExp(`Report ${id} resolved`));
      const after = await as(alice, "GET", `/api/rooms/${room}/reports?all=1`);
      expect(after.body.reports).toEqual([expect.objectContaining({ outcome: "warned them" })]);

      // After a restart, the same lines come back from the room's log.
      client.proc.kill();
      await client.proc.exited;
      client = start();
      await client.waitFor(new RegExp(`${alice.user.name} kicked ${carol.user.name}: spam`));
      expect(client.screen.text()).toContain(`${alice.user.name} set the topic: be kind`);

      // Archived: a line now, and read-only said on entering it after a restart.
      client.type("/archive\r");
      await client.waitFor(/archived the room: it is read-only now/);
      client.proc.kill();
      await client.proc.exited;
      client = start();
      await client.waitFor(new RegExp(`You are in #${name}: it is archived, read-only`));
    } finally {
      client.proc.kill();
      bobWs.ws.close();
    }
  });

  it("creates a private room with /create NAME private, removes someone's message with /remove and reads /audit", async () => {
    const owner = await register(server.url, unique("ow"));
    const bob = await register(server.url, unique("bo"));
    const outsider = await register(server.url, unique("ou"));
    const ownerConfig = tempDir("parley-config-");
    const pub = unique("pub");
    await createRoom(server.url, owner.token, pub);
    const client = spawnLoggedIn(server.url, owner, ownerConfig.path);
    const name = unique("pv");
    try {
      await client.waitFor(new RegExp(`#${pub}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${pub}`));
      client.type(`/create ${name} private\r`);
      // (The "Created" note is said in the buffer it was typed in; the new buffer shows this.)
      await client.waitFor(new RegExp(`You are in #${name}`));
      // Invisible to an outsider.
      const listed = await api<{ rooms: { name: string; visibility?: string }[] }>(
        server.url,
        "GET",
        "/api/rooms",
        undefined,
        outsider.token,
      );
      expect(listed.body.rooms.some((r) => r.name === name)).toBe(false);
      const mine = await api<{ rooms: { id: number; name: string; visibility?: string }[] }>(
        server.url,
        "GET",
        "/api/rooms",
        undefined,
        owner.token,
      );
      const room = mine.body.rooms.find((r) => r.name === name);
      expect(room?.visibility).toBe("private");
      const id = room?.id as number;

      // Bob comes in by invitation and writes; the owner removes it.
      const code = await api<{ invite: { code: string } }>(
        server.url,
        "POST",
        `/api/rooms/${id}/invites`,
        {},
        owner.token,
      );
      await api(
        server.url,
        "POST",
        `/api/invites/${code.body.invite.code}/accept`,
        undefined,
        bob.token,
      );
      await client.waitFor(new RegExp(`${bob.user.name} accepted an invitation and joined`));
      const bobWs = await connect(server.wsUrl, bob.token);
      await bobWs.request({ type: "join", room: id });
      const sent = await bobWs.request<ServerFrameOf<"ack">>({
        type: "send",
        room: id,
        cid: unique("c"),
        body: "spam spam",
      });
      await client.waitFor(/spam spam/);
      client.type("/remove\r");
      const deleted = await bobWs.waitFor((f) => f.type === "event" && f.kind === "delete");
      expect(deleted).toMatchObject({ target: sent.seq, from: owner.user });
      bobWs.ws.close();

      client.type("/audit\r");
      await client.waitFor(
        new RegExp(
          `Audit log of this room[\\s\\S]*${owner.user.name} message_delete ${bob.user.name}`,
        ),
      );
    } finally {
      client.proc.kill();
      ownerConfig.remove();
    }
  });
});
