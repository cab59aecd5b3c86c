/**
 * Room lifecycle over IRC: a room renamed from a Parley client is renamed on live IRC
 * connections (RENAME with draft/channel-rename, else PART of the old name and JOIN of the new
 * one), and messages then go under the new name; an archived room is announced with a NOTICE and
 * refuses PRIVMSG with 404 saying it is archived.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { ALL_CAPS, useStage } from "./stage.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const stage = useStage();
const { irc, scene } = stage;

describe("room lifecycle over IRC", () => {
  it("PARTs the old channel and JOINs the new one when the room is renamed, then carries messages under the new name", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const renamed = unique("renamed");
    const from = c.lines.length;
    await s.web.request({ type: "rename_room", id: unique("r"), room: s.room, name: renamed });
    const part = await c.command("PART", from);
    expect(part.params[0]).toBe(s.channel);
    expect(part.params[1]).toContain(`#${renamed}`);
    const join = await c.command("JOIN", from);
    expect(join.params).toEqual([`#${renamed}`]);
    expect(join.source?.startsWith(`${s.ircUser.name}!`)).toBe(true);

    // Live messages arrive under the new name, and PRIVMSG to it is stored.
    const after = c.lines.length;
    await s.web.request({ type: "send", room: s.room, cid: unique("c"), body: "new name here" });
    const got = await c.waitFor((m) => m.command === "PRIVMSG" && m.params[1] === "new name here", {
      from: after,
    });
    expect(got.params[0]).toBe(`#${renamed}`);
    c.send(`PRIVMSG #${renamed} :hello from irc`);
    const echo = await c.waitFor(
      (m) => m.command === "PRIVMSG" && m.params[1] === "hello from irc",
      {
        from: after,
      },
    );
    expect(echo.params[0]).toBe(`#${renamed}`);
    // The old name is not a channel of this connection any more.
    const old = c.lines.length;
    c.send(`PRIVMSG ${s.channel} :to the old name`);
    const refused = await c.waitFor((m) => m.command === "403" || m.command === "404", {
      from: old,
    });
    expect(refused.params[1]).toBe(s.channel);
  });

  it("sends RENAME to a client with draft/channel-rename", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, [...ALL_CAPS, "draft/channel-rename"]);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const renamed = unique("renamed");
    const from = c.lines.length;
    await s.web.request({ type: "rename_room", id: unique("r"), room: s.room, name: renamed });
    const rename = await c.command("RENAME", from);
    expect(rename.params.slice(0, 2)).toEqual([s.channel, `#${renamed}`]);
    expect(rename.source?.startsWith(`${s.owner.name}!`)).toBe(true);
    // No PART or JOIN besides.
    c.send("PING :done");
    await c.waitFor((m) => m.command === "PONG" && m.params[1] === "done", { from });
    expect(c.lines.slice(from).some((m) => m.command === "PART" || m.command === "JOIN")).toBe(
      false,
    );
  });

  it("refuses a PRIVMSG to an archived room with 404 saying it is archived, and stores nothing", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const told = c.lines.length;
    await s.web.request({ type: "archive_room", id: unique("a"), room: s.room });
    const notice = await c.waitFor(
      (m) =>
        m.command === "NOTICE" && m.params[0] === s.channel && /archived/.test(m.params[1] ?? ""),
      { from: told },
    );
    expect(notice.params[1]).toContain(s.owner.name);
    const from = c.lines.length;
    c.send(`PRIVMSG ${s.channel} :anyone?`);
    const refused = await c.command("404", from);
    expect(refused.params[1]).toBe(s.channel);
    expect(refused.params[2]).toBe("Cannot send to channel: room is archived");
    expect(c.lines.slice(from).some((m) => m.command === "FAIL")).toBe(false);
    const page = await s.web.request<ServerFrameOf<"history">>({
      type: "history",
      id: unique("h"),
      room: s.room,
      limit: 10,
    } as never);
    expect(page.messages.map((m) => m.body)).not.toContain("anyone?");
  });
});
