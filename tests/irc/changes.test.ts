/**
 * Parley's replies, reactions, deletions and edits through the gateway, against a real server:
 * +draft/reply and +draft/react both ways, REDACT for clients that negotiated
 * draft/message-redaction, edits as a marked NOTICE, and CHATHISTORY in the current state.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrame, ServerFrameOf } from "../../src/protocol/index.ts";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import type { IrcTestClient } from "./irc-client.ts";
import { ALL_CAPS, type Scene, useStage } from "./stage.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const stage = useStage();
const { irc, scene } = stage;
const WITH_REDACTION = [...ALL_CAPS, "draft/message-redaction"];

async function post(s: Scene, body: string, reply?: number): Promise<number> {
  const frame = { type: "send" as const, room: s.room, cid: unique("c"), body };
  const ack = await s.web.request<ServerFrameOf<"ack">>(
    reply === undefined ? frame : { ...frame, reply },
  );
  return ack.seq;
}

function change(s: Scene, body: object) {
  return s.web.request<ServerFrameOf<"ack">>({
    type: "event",
    room: s.room,
    cid: unique("e"),
    ...body,
  } as never);
}

/** Everything the server sent before the answer to this PING has arrived. */
async function settle(c: IrcTestClient, from: number): Promise<void> {
  const token = unique("p");
  c.send(`PING :${token}`);
  await c.waitFor((m) => m.command === "PONG" && m.params[1] === token, { from });
}

function isEvent(kind: string) {
  return (f: ServerFrame): f is ServerFrameOf<"event"> => f.type === "event" && f.kind === kind;
}

describe("message events over IRC", () => {
  it("advertises draft/message-redaction in CAP LS", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    const ls = await c.waitFor((m) => m.command === "CAP" && m.params[1] === "LS");
    expect(ls.params.at(-1)?.split(" ")).toContain("draft/message-redaction");
  });

  it("carries a reply as +draft/reply both ways, with msgid = room-seq", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const original = await post(s, "the question");
    const answer = await post(s, "the answer", original);
    const got = await c.waitFor((m) => m.command === "PRIVMSG" && m.params[1] === "the answer");
    expect(got.tags.get("+draft/reply")).toBe(`${s.room}-${original}`);
    expect(got.tags.get("msgid")).toBe(`${s.room}-${answer}`);

    c.send(`@+draft/reply=${s.room}-${answer};label=r1 PRIVMSG ${s.channel} :from irc, replying`);
    const frame = (await s.web.waitFor(
      (f) => f.type === "msg" && f.body === "from irc, replying",
    )) as ServerFrameOf<"msg">;
    expect(frame.reply?.seq).toBe(answer);
    expect(frame.reply?.excerpt).toBe("the answer");
  });

  it("refuses a +draft/reply naming no message of the channel, and stores nothing", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const from = c.lines.length;
    c.send(`@+draft/reply=${s.room}-9999 PRIVMSG ${s.channel} :orphan`);
    const fail = await c.command("FAIL", from);
    expect(fail.params.slice(0, 2)).toEqual(["PRIVMSG", "REPLY_NOT_FOUND"]);
    for (const bad of ["garbage", "1-2-3", `${s.room + 1}-1`]) {
      const at = c.lines.length;
      c.send(`@+draft/reply=${bad} PRIVMSG ${s.channel} :orphan`);
      expect((await c.command("FAIL", at)).params[1]).toBe("REPLY_NOT_FOUND");
    }
    await settle(c, from);
    expect(c.lines.slice(from).some((m) => m.command === "PRIVMSG")).toBe(false);
  });

  it("shows reactions as TAGMSG +draft/react / +draft/unreact, and toggles one sent from IRC", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const seq = await post(s, "react to me");
    const msgid = `${s.room}-${seq}`;
    await change(s, { kind: "react", target: seq, emoji: "👍", on: true });
    const on = await c.waitFor((m) => m.command === "TAGMSG" && m.tags.has("+draft/react"));
    expect(on.tags.get("+draft/react")).toBe("👍");
    expect(on.tags.get("+draft/reply")).toBe(msgid);
    expect(on.source?.startsWith(`${s.owner.name}!`)).toBe(true);
    await change(s, { kind: "react", target: seq, emoji: "👍", on: false });
    const off = await c.waitFor((m) => m.command === "TAGMSG" && m.tags.has("+draft/unreact"));
    expect(off.tags.get("+draft/unreact")).toBe("👍");

    // From IRC: the first +draft/react adds it, the same again takes it back (as the clients do).
    c.send(`@+draft/react=🎉;+draft/reply=${msgid} TAGMSG ${s.channel}`);
    const added = (await s.web.waitFor(
      (f) => isEvent("react")(f) && f.from.id === s.ircUser.user.id,
    )) as ServerFrameOf<"event">;
    expect(added).toMatchObject({ target: seq, emoji: "🎉", on: true });
    c.send(`@+draft/react=🎉;+draft/reply=${msgid} TAGMSG ${s.channel}`);
    const removed = (await s.web.waitFor(
      (f) => isEvent("react")(f) && f.from.id === s.ircUser.user.id && f.seq > added.seq,
    )) as ServerFrameOf<"event">;
    expect(removed).toMatchObject({ target: seq, emoji: "🎉", on: false });

    const from = c.lines.length;
    c.send(`@+draft/react=nope;+draft/reply=${msgid} TAGMSG ${s.channel}`);
    expect((await c.command("FAIL", from)).params.slice(0, 2)).toEqual([
      "TAGMSG",
      "INVALID_REACTION",
    ]);
  });

  it("sends REDACT for a deletion to clients that negotiated it, and nothing to others", async () => {
    const s = await scene();
    const modern = await irc(s.ircUser, WITH_REDACTION);
    const plain = await irc(s.ircUser);
    for (const c of [modern, plain])
      await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const seq = await post(s, "regrettable");
    await plain.waitFor((m) => m.params[1] === "regrettable");
    const from = plain.lines.length;
    await change(s, { kind: "delete", target: seq });
    const redact = await modern.command("REDACT");
    expect(redact.params.slice(0, 2)).toEqual([s.channel, `${s.room}-${seq}`]);
    await settle(plain, from);
    expect(plain.lines.slice(from).map((m) => m.command)).toEqual(["PONG"]);
  });

  it("deletes the client's own message on REDACT", async () => {
    const s = await scene();
    const c = await irc(s.ircUser, WITH_REDACTION);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    c.send(`@label=d1 PRIVMSG ${s.channel} :oops`);
    const echo = await c.waitFor((m) => m.tags.get("label") === "d1");
    const msgid = echo.tags.get("msgid") as string;
    c.send(`REDACT ${s.channel} ${msgid} :typo`);
    const deleted = (await s.web.waitFor(isEvent("delete"))) as ServerFrameOf<"event">;
    expect(`${s.room}-${deleted.target}`).toBe(msgid);
    // Someone else's message: Parley's refusal, as FAIL.
    const theirs = await post(s, "not yours");
    const from = c.lines.length;
    c.send(`REDACT ${s.channel} ${s.room}-${theirs}`);
    expect((await c.command("FAIL", from)).params.slice(0, 2)).toEqual([
      "REDACT",
      "DELETE_FORBIDDEN",
    ]);
  });

  it("shows an edit as a NOTICE marked [edited], tagged with the edited msgid", async () => {
    const s = await scene();
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const seq = await post(s, "see you at 2");
    await change(s, { kind: "edit", target: seq, body: "see you at 3" });
    const edit = await c.waitFor((m) => m.command === "NOTICE" && m.params[0] === s.channel);
    expect(edit.params[1]).toBe("[edited] see you at 3");
    expect(edit.tags.get("+draft/reply")).toBe(`${s.room}-${seq}`);
    expect(edit.source?.startsWith(`${s.owner.name}!`)).toBe(true);
  });

  it("returns messages in their current state from CHATHISTORY: edited text, deleted left out", async () => {
    const s = await scene();
    const kept = await post(s, "first draft");
    const gone = await post(s, "delete me");
    await post(s, "plain");
    await change(s, { kind: "edit", target: kept, body: "final text" });
    await change(s, { kind: "delete", target: gone });
    const c = await irc(s.ircUser);
    await c.waitFor((m) => m.command === "366" && m.params[1] === s.channel);
    const from = c.lines.length;
    c.send(`CHATHISTORY LATEST ${s.channel} * 50`);
    await c.waitFor((m) => m.command === "BATCH" && m.params[0]?.startsWith("-") === true, {
      from,
    });
    const texts = c.lines
      .slice(from)
      .filter((m) => m.command === "PRIVMSG")
      .map((m) => m.params[1]);
    expect(texts).toEqual(["final text", "plain"]);
  });
});
