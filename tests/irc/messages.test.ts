import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { createIdentity, seal } from "../../src/crypto/index.ts";
import { dmConversation, type ServerFrameOf } from "../../src/protocol/index.ts";
import { storedBodies } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { person } from "./fixture.ts";
import { useStage } from "./stage.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const stage = useStage();
const { irc, ws, scene } = stage;

describe("messages", () => {
  it("stores a PRIVMSG as an ordinary Parley message, durable before its echo", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.command("366");
    const from = c.lines.length;
    c.send(`@label=m1 PRIVMSG ${s.channel} :hello from irc`);
    const echo = await c.waitFor((m) => m.command === "PRIVMSG" && m.tags.get("label") === "m1", {
      from,
    });
    // Stored before the echo: history already has it.
    expect(await storedBodies(stage.server.url, s.owner.token, s.room)).toContain("hello from irc");
    expect(echo.params).toEqual([s.channel, "hello from irc"]);
    expect(echo.tags.get("msgid")).toMatch(new RegExp(`^${s.room}-\\d+$`));
    const msg = (await s.web.waitFor(
      (f) => f.type === "msg" && f.body === "hello from irc",
    )) as ServerFrameOf<"msg">;
    expect(msg.from.id).toBe(s.ircUser.user.id);
    expect(echo.tags.get("msgid")).toBe(`${s.room}-${msg.seq}`);
    // Its live copy is not shown a second time.
    await Bun.sleep(200);
    expect(
      c.lines.filter((l) => l.command === "PRIVMSG" && l.params[1] === "hello from irc"),
    ).toHaveLength(1);
  });

  it("stores a NOTICE to a channel as a message too", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, []);
    await c.command("366");
    c.send(`NOTICE ${s.channel} :bot says hi`);
    const msg = await s.web.waitFor((f) => f.type === "msg" && f.body === "bot says hi");
    expect(msg).toMatchObject({ room: s.room, from: { id: s.ircUser.user.id } });
  });

  it("keeps the nick the username: NICK is refused with 432, USER again with 462", async () => {
    const p = await person(stage.server.url);
    const c = await irc(p, []);
    const from = c.lines.length;
    c.send("NICK somebody-else", `NICK ${p.name}`, "USER a 0 * :A");
    expect((await c.command("432", from)).params[1]).toBe("somebody-else");
    await c.command("462", from);
    expect(c.lines.slice(from).filter((l) => l.command === "432")).toHaveLength(1);
  });

  it("delivers a WebSocket message with server-time, msgid and account tags", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.command("366");
    const ack = await s.web.request<ServerFrameOf<"ack">>({
      type: "send",
      room: s.room,
      cid: "w1",
      body: "hi irc",
    });
    const line = await c.waitFor((m) => m.command === "PRIVMSG" && m.params[1] === "hi irc");
    expect(line.source).toBe(`${s.owner.name}!${s.owner.name}@parley`);
    expect(line.tags.get("msgid")).toBe(`${s.room}-${ack.seq}`);
    expect(line.tags.get("account")).toBe(s.owner.name);
    expect(new Date(line.tags.get("time") as string).getTime()).toBe(ack.ts);
  });

  it("sends tags only for the capabilities a client enabled, and no echo without echo-message", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, []);
    await c.command("366");
    const from = c.lines.length;
    c.send(`PRIVMSG ${s.channel} :no echo please`);
    await s.web.waitFor((f) => f.type === "msg" && f.body === "no echo please");
    await s.web.request({ type: "send", room: s.room, cid: "w2", body: "plain line" });
    const line = await c.waitFor((m) => m.command === "PRIVMSG" && m.params[1] === "plain line", {
      from,
    });
    expect(line.tags.size).toBe(0);
    expect(c.lines.slice(from).some((l) => l.params[1] === "no echo please")).toBe(false);
  });

  it("answers a labeled command with no output with ACK, and a long answer in a labeled batch", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, ["labeled-response", "batch", "message-tags"]);
    await c.command("366");
    let from = c.lines.length;
    c.send(`@label=q1 PRIVMSG ${s.channel} :quiet`);
    const ack = await c.command("ACK", from);
    expect(ack.tags.get("label")).toBe("q1");
    from = c.lines.length;
    c.send(`@label=q2 WHO ${s.channel}`);
    const start = await c.waitFor((m) => m.command === "BATCH" && m.tags.get("label") === "q2", {
      from,
    });
    expect(start.params[1]).toBe("labeled-response");
    const id = (start.params[0] as string).slice(1);
    const end = await c.waitFor((m) => m.command === "BATCH" && m.params[0] === `-${id}`, { from });
    const inside = c.lines.slice(
      c.lines.indexOf(start as never) + 1,
      c.lines.indexOf(end as never),
    );
    expect(inside.every((l) => l.tags.get("batch") === id)).toBe(true);
    expect(inside.at(-1)?.command).toBe("315");
  });

  it("splits a long message into PRIVMSGs that each fit 512 bytes, and every line of a multi-line one", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, []);
    await c.command("366");
    const long = Array.from({ length: 500 }, (_, i) => `wörd${i}`).join(" ");
    await s.web.request({ type: "send", room: s.room, cid: "long", body: long });
    await s.web.request({
      type: "send",
      room: s.room,
      cid: "multi",
      body: "first line\n\nsecond line",
    });
    await c.waitFor((m) => m.params[1] === "second line");
    const lines = c.lines.filter((l) => l.command === "PRIVMSG");
    for (const l of lines) expect(Buffer.byteLength(`${l.raw}\r\n`)).toBeLessThanOrEqual(512);
    const pieces = lines.filter(
      (l) => l.params[1] !== "first line" && l.params[1] !== "second line",
    );
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.map((l) => l.params[1]).join("")).toBe(long);
    expect(lines.map((l) => l.params[1])).toContain("first line");
  });

  it("carries /me as a CTCP ACTION both ways and ignores other CTCP", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, []);
    await c.command("366");
    c.send(
      `PRIVMSG ${s.channel} :\u0001ACTION waves\u0001`,
      `PRIVMSG ${s.channel} :\u0001VERSION\u0001`,
    );
    const msg = await s.web.waitFor((f) => f.type === "msg" && f.room === s.room);
    expect(msg).toMatchObject({ body: "/me waves" });
    await s.web.request({ type: "send", room: s.room, cid: "me", body: "/me nods" });
    await c.waitFor((m) => m.params[1] === "\u0001ACTION nods\u0001");
    expect(await storedBodies(stage.server.url, s.owner.token, s.room)).toEqual([
      "/me waves",
      "/me nods",
    ]);
  });

  it("refuses empty and invalid text without storing anything", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, []);
    await c.command("366");
    c.send(`PRIVMSG ${s.channel} :`, `PRIVMSG ${s.channel} :   `, `PRIVMSG #no-such-room :x`);
    await c.command("412");
    await c.waitFor((m) => m.command === "412" && m.params[1]?.includes("4000") === true);
    await c.command("403");
    expect(await storedBodies(stage.server.url, s.owner.token, s.room)).toEqual([]);
  });

  it("refuses a PRIVMSG to a nick with a NOTICE explaining end-to-end encryption", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, []);
    await c.command("366");
    c.send(`PRIVMSG ${s.owner.name} :psst`);
    const notice = await c.command("NOTICE");
    expect(notice.params[1]).toContain("end-to-end encrypted");
    expect(notice.params[1]).toContain(s.owner.name);
    expect(s.web.frames.some((f) => f.type === "msg" && f.body === "psst")).toBe(false);
  });

  it("never shows a DM to the gateway, though the user's other devices get it", async () => {
    const alice = await person(stage.server.url, "a");
    const bob = await person(stage.server.url, "b");
    const aliceWs = await ws(alice);
    const bobWs = await ws(bob);
    const aliceDevice = await createIdentity({ user: String(alice.user.id) });
    const bobDevice = await createIdentity({ user: String(bob.user.id) });
    await aliceWs.request({ type: "device", bundle: aliceDevice.bundle });
    await bobWs.request({ type: "device", bundle: bobDevice.bundle });
    const c = await irc(bob);
    const dm = await aliceWs.request<ServerFrameOf<"dm">>({ type: "dm", user: bob.name });
    const cid = crypto.randomUUID();
    const envelope = await seal({
      from: aliceDevice,
      conversation: dmConversation(dm.room.id),
      text: "top secret",
      to: [bobDevice.bundle as never],
      id: cid,
    });
    await aliceWs.request({ type: "send", room: dm.room.id, cid, envelope });
    await bobWs.waitFor((f) => f.type === "msg" && f.room === dm.room.id);
    await Bun.sleep(300);
    expect(c.dump()).not.toContain(cid);
    expect(c.lines.some((l) => l.command === "PRIVMSG" || l.raw.includes("dm:"))).toBe(false);
    c.send(`CHATHISTORY LATEST #dm:${alice.user.id}:${bob.user.id} * 10`);
    expect((await c.command("FAIL")).params[1]).toBe("INVALID_TARGET");
  });
});

describe("typing and away", () => {
  it("relays +typing both ways as Parley's typing notice", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, ["message-tags"]);
    await c.command("366");
    c.send(`@+typing=active TAGMSG ${s.channel}`);
    const typing = await s.web.waitFor(
      (f) => f.type === "typing" && f.user.id === s.ircUser.user.id,
    );
    expect(typing).toMatchObject({ room: s.room });
    s.web.raw(JSON.stringify({ type: "typing", room: s.room }));
    const tag = await c.command("TAGMSG");
    expect(tag.tags.get("+typing")).toBe("active");
    expect(tag.source?.startsWith(s.owner.name)).toBe(true);
  });

  it("maps AWAY to Parley's away status, and others' presence to away-notify", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, ["away-notify"]);
    await c.command("366");
    c.send("AWAY :lunch");
    await c.command("306");
    await s.web.waitFor(
      (f) => f.type === "presence" && f.user.id === s.ircUser.user.id && f.status === "away",
    );
    c.send("AWAY");
    await c.command("305");
    await s.web.request({ type: "status", status: "away" });
    const away = await c.command("AWAY");
    expect(away.source?.startsWith(s.owner.name)).toBe(true);
    expect(away.params[0]).toBe("Away");
  });
});
