import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { api } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { person } from "./fixture.ts";
import { useStage } from "./stage.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const stage = useStage();
const { irc, ws, scene } = stage;

describe("channels", () => {
  it("joins the account's rooms on login, with topic and names", async () => {
    const s = await scene("Our topic");
    const c = await irc(s.ircUser);
    const join = await c.waitFor((m) => m.command === "JOIN" && m.params[0] === s.channel);
    expect(join.source?.startsWith(`${s.ircUser.name}!`)).toBe(true);
    expect((await c.command("332")).params[2]).toBe("Our topic");
    const names = await c.command("353");
    expect(names.params[3]?.split(" ").sort()).toEqual([s.ircUser.name, s.owner.name].sort());
    await c.command("366");
  });

  it("JOINs a public room by name, and the WebSocket members hear of it", async () => {
    const s = await scene();
    const newcomer = await person(stage.server.url, "n");
    const c = await irc(newcomer);
    c.send(`JOIN ${s.channel}`);
    await c.waitFor((m) => m.command === "JOIN" && m.params[0] === s.channel);
    const notice = await s.web.waitFor(
      (f) => f.type === "notice" && f.user.id === newcomer.user.id,
    );
    expect(notice).toMatchObject({ event: "joined", room: s.room });
  });

  it("answers JOIN of an unknown room, a DM's name or a bad name with 403, alike", async () => {
    const p = await person(stage.server.url);
    const peer = await person(stage.server.url);
    const socket = await ws(p);
    const dm = await socket.request<ServerFrameOf<"dm">>({ type: "dm", user: peer.name });
    const c = await irc(p);
    for (const channel of [
      "#no-such-room",
      `#dm:${p.user.id}:${peer.user.id}`,
      `#${dm.room.id}`,
      "#",
      "nohash",
    ]) {
      const from = c.lines.length;
      c.send(`JOIN ${channel}`);
      const refused = await c.command("403", from);
      expect(refused.params[1]).toBe(channel);
      expect(refused.params[2]).toBe("No such channel");
    }
  });

  it("PARTs: leaves the Parley room, and a PRIVMSG there is refused after", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366");
    c.send(`PART ${s.channel} :see you`);
    const part = await c.command("PART");
    expect(part.params).toEqual([s.channel, "see you"]);
    await s.web.waitFor(
      (f) => f.type === "notice" && f.event === "left" && f.user.id === s.ircUser.user.id,
    );
    expect(c.lines.filter((l) => l.command === "PART")).toHaveLength(1);
    const from = c.lines.length;
    c.send(`PRIVMSG ${s.channel} :still here?`);
    expect((await c.command("404", from)).params[1]).toBe(s.channel);
    c.send("PART #not-joined");
    await c.command("442");
  });

  it("PARTs the channel when the user leaves the room on another client", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.command("366");
    const other = await ws(s.ircUser);
    await other.request({ type: "leave", room: s.room });
    const part = await c.command("PART");
    expect(part.params).toEqual([s.channel, "Left on another client"]);
    await Bun.sleep(100);
    expect(c.lines.filter((l) => l.command === "PART")).toHaveLength(1);
  });

  it("shows the topic and refuses to change it; LIST shows what GET /api/rooms shows", async () => {
    const s = await scene("Topic here");
    const c = await irc(s.ircUser);
    c.send(`TOPIC ${s.channel}`);
    const from = c.lines.length;
    expect((await c.command("332", from - 0)).params[2]).toBe("Topic here");
    c.send(`TOPIC ${s.channel} :new one`);
    await c.command("482");
    const listFrom = c.lines.length;
    c.send("LIST");
    await c.command("323", listFrom);
    const listed = c.lines
      .slice(listFrom)
      .filter((l) => l.command === "322")
      .map((l) => l.params[1]);
    const http = await api<{ rooms: { name: string; kind: string }[] }>(
      stage.server.url,
      "GET",
      "/api/rooms",
      undefined,
      s.ircUser.token,
    );
    const expected = http.body.rooms.filter((r) => r.kind === "room").map((r) => `#${r.name}`);
    expect(listed.sort()).toEqual(expected.sort());
  });

  it("answers WHO, WHOIS, NAMES and MODE", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.command("366");
    let from = c.lines.length;
    c.send(`WHO ${s.channel}`);
    await c.command("315", from);
    const who = c.lines.slice(from).filter((l) => l.command === "352");
    expect(who.map((l) => l.params[5]).sort()).toEqual([s.ircUser.name, s.owner.name].sort());
    expect(who.find((l) => l.params[5] === s.owner.name)?.params[6]).toBe("H");
    from = c.lines.length;
    c.send(`WHOIS ${s.owner.name}`);
    expect((await c.command("330", from)).params[2]).toBe(s.owner.name);
    await c.command("318", from);
    c.send("WHOIS nobody-at-all-here");
    await c.command("401", from);
    from = c.lines.length;
    c.send(
      `NAMES ${s.channel}`,
      `MODE ${s.channel}`,
      `MODE ${s.ircUser.name}`,
      "MODE someone-else",
    );
    await c.command("366", from);
    expect((await c.command("324", from)).params[2]).toBe("+nt");
    expect((await c.command("221", from)).params[1]).toBe("+i");
    await c.command("502", from);
  });

  it("answers ISON and USERHOST for notify lists", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.command("366");
    const from = c.lines.length;
    c.send(`ISON ${s.owner.name} nobody-at-all-here`, `USERHOST ${s.owner.name}`);
    expect((await c.command("303", from)).params[1]).toBe(s.owner.name);
    expect((await c.command("302", from)).params[1]).toBe(
      `${s.owner.name}=+${s.owner.name}@parley`,
    );
  });

  it("answers PING, MOTD and VERSION", async () => {
    const p = await person(stage.server.url);
    const c = await irc(p);
    const from = c.lines.length;
    c.send("PING :abc", "MOTD", "VERSION");
    expect((await c.command("PONG", from)).params[1]).toBe("abc");
    await c.command("376", from);
    await c.command("351", from);
  });
});
