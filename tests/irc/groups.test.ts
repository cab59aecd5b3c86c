/**
 * Encrypted groups (docs/e2ee.md 12) do not exist to the IRC gateway: IRC cannot carry end-to-end
 * encryption, so a member's IRC client is never joined to one and every command answers for a
 * group's name as for an unknown channel.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { createIdentity, signMembership } from "../../src/crypto/index.ts";
import { groupConversation, type ServerFrameOf } from "../../src/protocol/index.ts";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { person } from "./fixture.ts";
import type { IrcTestClient } from "./irc-client.ts";
import { useStage } from "./stage.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const stage = useStage();
const { irc, ws, scene } = stage;

/** The lines received from index `from` until the answer to a PING sent now (all before it). */
async function linesUntilPong(c: IrcTestClient, from: number): Promise<string[]> {
  const mark = unique("mark");
  c.send(`PING ${mark}`);
  await c.waitFor((m) => m.command === "PONG" && m.params.includes(mark), { from });
  return c.lines.slice(from).map((l) => l.raw);
}

describe("encrypted groups over IRC", () => {
  it("never joins, lists, names, shows the history of, or sends to a group", async () => {
    const s = await scene();
    const owner = await ws(s.owner);
    const name = unique("grp");
    const created = await owner.request<ServerFrameOf<"created">>({ type: "group_create", name });
    const room = created.room.id;
    // Version 1 names the IRC user a member (the server checks the chain's shape, not keys).
    const alice = await createIdentity({ user: String(s.owner.user.id) });
    const membership = await signMembership({
      conv: groupConversation(room),
      current: undefined,
      members: [s.owner.user.id, s.ircUser.user.id].map(String).sort(),
      admins: [String(s.owner.user.id)],
      by: alice,
    });
    expect((await owner.request({ type: "group_membership", room, membership })).type).toBe("ok");
    const outsider = await person(stage.server.url, "o");

    for (const p of [s.ircUser, outsider]) {
      const c = await irc(p);
      // Logged in: the member's public room is joined, the group never.
      const welcome = await linesUntilPong(c, 0);
      if (p === s.ircUser) expect(welcome.some((l) => l.endsWith(`JOIN ${s.channel}`))).toBe(true);
      const channel = `#${name}`;
      expect(welcome.some((l) => l.includes(channel))).toBe(false);
      const from = c.lines.length;
      c.send("LIST");
      await c.command("323", from);
      c.send(`JOIN ${channel}`);
      expect((await c.command("403", from)).params[1]).toBe(channel);
      c.send(`TOPIC ${channel}`);
      c.send(`NAMES ${channel}`);
      c.send(`PRIVMSG ${channel} :in clear`);
      c.send(`CHATHISTORY LATEST ${channel} * 10`);
      const lines = await linesUntilPong(c, from);
      const text = lines.join("\n");
      expect(lines.filter((l) => / 322 /.test(l) && l.includes(channel))).toEqual([]);
      expect(lines.filter((l) => / JOIN /.test(l))).toEqual([]);
      expect(lines.filter((l) => / 353 /.test(l))).toEqual([]);
      // Answered exactly as for a channel that does not exist, whoever asks.
      expect(lines.filter((l) => / 403 /.test(l)).length).toBe(3);
      expect(text).toContain(`FAIL CHATHISTORY INVALID_TARGET LATEST ${channel}`);
      expect(text).not.toContain(" 442 ");
    }
    // Nothing reached the group's log from IRC.
    const history = await owner.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(history.messages).toEqual([]);
  });
});
