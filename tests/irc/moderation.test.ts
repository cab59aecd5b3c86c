/**
 * Moderation and private rooms hold for IRC connections as for WebSockets: a ban by a WebSocket
 * moderator KICKs the IRC client out of the channel at once (no later message reaches it), a
 * muted IRC user's PRIVMSG is refused, and a private room does not exist to an outsider.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { api, joinRoom, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { person } from "./fixture.ts";
import { useStage } from "./stage.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const stage = useStage();
const { irc, scene } = stage;

function moderate(token: string, room: number, body: object) {
  return api(stage.server.url, "POST", `/api/rooms/${room}/moderation`, body, token);
}

describe("moderation over IRC", () => {
  it("KICKs a banned IRC user out of the channel, and no later message reaches them", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const banned = await moderate(s.owner.token, s.room, {
      action: "ban",
      user: s.ircUser.name,
      reason: "spam",
    });
    expect(banned.status).toBe(204);
    const kick = await c.command("KICK");
    expect(kick.params[0]).toBe(s.channel);
    expect(kick.params[1]).toBe(s.ircUser.name);
    expect(kick.params[2]).toContain("anned");
    const from = c.lines.length;
    await s.web.request({ type: "send", room: s.room, cid: unique("c"), body: "after the ban" });
    // A PING round trip: anything the server sent before the PONG has arrived.
    c.send("PING :after");
    await c.waitFor((m) => m.command === "PONG" && m.params[1] === "after", { from });
    expect(c.lines.slice(from).some((m) => m.params.includes("after the ban"))).toBe(false);
    const again = c.lines.length;
    c.send(`PRIVMSG ${s.channel} :still here?`);
    const refused = await c.waitFor((m) => m.command === "442" || m.command === "404", {
      from: again,
    });
    expect(refused.params[1]).toBe(s.channel);
    const rejoin = c.lines.length;
    c.send(`JOIN ${s.channel}`);
    expect((await c.command("474", rejoin)).params[2]).toContain("banned");
  });

  it("shows the other IRC members a KICK from the moderator with the reason", async () => {
    const s = await scene();
    const other = await person(stage.server.url, "o");
    await joinRoom(stage.server.url, other.token, s.room);
    const watcher = await irc(other);
    await watcher.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    await moderate(s.owner.token, s.room, { action: "ban", user: s.ircUser.name, reason: "spam" });
    const kick = await watcher.command("KICK");
    expect(kick.source?.startsWith(`${s.owner.name}!`)).toBe(true);
    expect(kick.params).toEqual([s.channel, s.ircUser.name, "spam"]);
  });

  it("KICKs a kicked IRC user with the room's reason", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    await moderate(s.owner.token, s.room, { action: "kick", user: s.ircUser.name });
    const kick = await c.command("KICK");
    expect(kick.params.slice(0, 2)).toEqual([s.channel, s.ircUser.name]);
    expect(kick.params[2]).toContain("icked");
  });

  it("refuses a muted IRC user's PRIVMSG with 404 saying they are muted", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const muted = await moderate(s.owner.token, s.room, {
      action: "mute",
      user: s.ircUser.name,
      seconds: 300,
    });
    expect(muted.status).toBe(204);
    const from = c.lines.length;
    c.send(`PRIVMSG ${s.channel} :can I talk?`);
    const refused = await c.command("404", from);
    expect(refused.params[1]).toBe(s.channel);
    expect(refused.params[2]).toContain("muted");
  });

  it("hides a private room from an outsider on JOIN, LIST, NAMES, WHO, TOPIC, CHATHISTORY", async () => {
    const url = stage.server.url;
    const owner = await person(url, "o");
    const name = unique("secret");
    const res = await api<{ room: { id: number } }>(
      url,
      "POST",
      "/api/rooms",
      { name, visibility: "private" },
      owner.token,
    );
    expect(res.status).toBe(201);
    const channel = `#${name}`;
    const outsider = await person(url, "x");
    const c = await irc(outsider);
    await c.command("001");
    const check = async (
      line: string,
      answer: (m: { command: string; params: string[] }) => boolean,
    ) => {
      const from = c.lines.length;
      c.send(line);
      c.send("PING :done");
      await c.waitFor((m) => m.command === "PONG" && m.params[1] === "done", { from });
      const got = c.lines.slice(from);
      expect(got.some(answer)).toBe(true);
      expect(got.some((m) => m.raw.includes(name) && !answer(m))).toBe(false);
    };
    await check(`JOIN ${channel}`, (m) => m.command === "403");
    await check(`TOPIC ${channel}`, (m) => m.command === "403");
    await check(`NAMES ${channel}`, (m) => m.command === "366");
    await check(`WHO ${channel}`, (m) => m.command === "315");
    await check(`LIST`, (m) => m.command === "323");
    await check(`CHATHISTORY LATEST ${channel} * 10`, (m) => m.command === "FAIL");
    await check(`PRIVMSG ${channel} :hi`, (m) => m.command === "403");

    // A member sees and uses it.
    const member = await person(url, "m");
    const added = await api<{ invite: { code: string } }>(
      url,
      "POST",
      `/api/rooms/${res.body.room.id}/invites`,
      {},
      owner.token,
    );
    expect(added.status).toBe(201);
    expect(
      (await api(url, "POST", `/api/invites/${added.body.invite.code}/accept`, {}, member.token))
        .status,
    ).toBe(200);
    const m = await irc(member);
    await m.waitFor((l) => l.command === "JOIN" && l.params[0] === channel);
    const from = m.lines.length;
    m.send(`PRIVMSG ${channel} :members only`);
    await m.waitFor((l) => l.command === "PRIVMSG" && l.params[1] === "members only", { from });
    m.send(`LIST`);
    await m.waitFor((l) => l.command === "322" && l.params[1] === channel, { from });
  });
});
