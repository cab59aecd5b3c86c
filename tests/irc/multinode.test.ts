/**
 * The gateway in a deployment of several nodes on PostgreSQL and Redis: an IRC client on node A
 * and a WebSocket client on node B in one room. Node A is killed with -9 between two rounds of
 * messages; the IRC client comes back on node B and fetches the gap with CHATHISTORY. Every
 * message must reach each side exactly once, in seq order.
 */
import { afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import {
  connect,
  createRoom,
  joinRoom,
  register,
  storedBodies,
  unique,
} from "../support/client.ts";
import { type Cluster, ClusterScope } from "../support/cluster.ts";
import type { ChildServer } from "../support/server.ts";
import { assertReachable, postgresGate, redisGate } from "../support/services.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { PASSWORD } from "./fixture.ts";
import { type IrcTestClient, loginIrc, type Received } from "./irc-client.ts";

setDefaultTimeout(TEST_TIMEOUT_MS * 2);

const pg = await postgresGate();
const redis = await redisGate();

const CAPS = [
  "draft/chathistory",
  "batch",
  "server-time",
  "message-tags",
  "echo-message",
  "labeled-response",
];
const scope = new ClusterScope();

/** A node of the test's cluster with its IRC gateway on a free port. */
async function node(cluster: Cluster): Promise<ChildServer & { ircPort: number }> {
  const child = await cluster.node({ extraArgs: ["--irc-port", "0"] });
  return { ...child, ircPort: Number(new URL(child.ircUrls[0] as string).port) };
}

/** Sends a PRIVMSG and waits for its echo, which comes only once the message is stored. */
async function say(c: IrcTestClient, channel: string, text: string): Promise<void> {
  const label = `l${Math.random().toString(36).slice(2, 10)}`;
  const from = c.lines.length;
  c.send(`@label=${label} PRIVMSG ${channel} :${text}`);
  const echo = await c.waitFor((m) => m.tags.get("label") === label, {
    from,
    what: `echo of ${text}`,
  });
  expect(echo.command).toBe("PRIVMSG");
}

function privmsgs(lines: Received[]): Received[] {
  return lines.filter((l) => l.command === "PRIVMSG");
}

describe.skipIf(pg.skip || redis.skip)("the IRC gateway on several nodes", () => {
  beforeAll(() => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
  });
  afterEach(() => scope.remove());

  it("loses and repeats nothing between IRC on node A and a WebSocket on node B when A is killed", async () => {
    const cluster = await scope.create();
    const a = await node(cluster);
    const b = await node(cluster);
    const name = unique("irc");
    const ircAccount = await register(a.url, name, PASSWORD);
    const web = await register(b.url);
    const room = await createRoom(b.url, web.token);
    await joinRoom(a.url, ircAccount.token, room);
    const rooms = await fetch(`${b.url}/api/rooms`, {
      headers: { authorization: `Bearer ${web.token}` },
    });
    const roomName = ((await rooms.json()) as { rooms: { id: number; name: string }[] }).rooms.find(
      (r) => r.id === room,
    )?.name;
    const channel = `#${roomName}`;

    const ws = await connect(b.wsUrl, web.token);
    await ws.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const first = await loginIrc(a.ircPort, { name, password: PASSWORD }, CAPS);
    await first.command("366");

    // Round 1: both sides talk, each through its own node.
    for (let i = 1; i <= 5; i++) {
      await say(first, channel, `irc ${i}`);
      await ws.request<ServerFrameOf<"ack">>({
        type: "send",
        room,
        cid: `w${i}`,
        body: `web ${i}`,
      });
    }
    await ws.waitForMessages(room, 10, 20_000);
    await first.waitFor((m) => m.params[1] === "web 5", { what: "web 5 on node A" });

    // Node A dies; the WebSocket side goes on talking meanwhile.
    await a.kill();
    await first.waitClosed();
    for (let i = 6; i <= 10; i++) {
      await ws.request({ type: "send", room, cid: `w${i}`, body: `web ${i}` });
    }

    // The IRC client comes back on node B and asks for exactly what it has not seen.
    const seenBefore = privmsgs(first.lines);
    const lastId = seenBefore.at(-1)?.tags.get("msgid") as string;
    const second = await loginIrc(b.ircPort, { name, password: PASSWORD }, CAPS);
    await second.command("366");
    const from = second.lines.length;
    second.send(`CHATHISTORY AFTER ${channel} msgid=${lastId} 100`);
    const start = await second.waitFor(
      (m) => m.command === "BATCH" && m.params[1] === "chathistory",
      { from },
    );
    await second.waitFor(
      (m) => m.command === "BATCH" && m.params[0] === `-${start.params[0]?.slice(1)}`,
      {
        from,
      },
    );
    for (let i = 6; i <= 10; i++) await say(second, channel, `irc ${i}`);
    await ws.request({ type: "send", room, cid: "w11", body: "web 11" });
    await second.waitFor((m) => m.params[1] === "web 11", { what: "web 11 live on node B" });
    await ws.waitForMessages(room, 21, 20_000);
    await Bun.sleep(300);

    // Every message once on the IRC side, live or fetched, in seq order (seq 1 is the IRC
    // account's join, an event of the log that IRC shows no line for).
    const ircSeen = [...seenBefore, ...privmsgs(second.lines)];
    const seqs = ircSeen.map((l) => Number((l.tags.get("msgid") as string).split("-")[1]));
    expect(seqs).toEqual(Array.from({ length: 21 }, (_, i) => i + 2));
    // ...and on the WebSocket side: the whole log, the join included.
    expect(ws.entrySeqs(room)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    const stored = await storedBodies(b.url, web.token, room);
    expect(stored).toHaveLength(21);
    expect(new Set(stored).size).toBe(21);
    expect(ircSeen.map((l) => l.params[1])).toEqual(stored);
    second.close();
    await ws.close();
  });
  it("KICKs an IRC client on node A out of the channel when a moderator on node B bans it", async () => {
    const cluster = await scope.create();
    const a = await node(cluster);
    const b = await node(cluster);
    const name = unique("irc");
    const ircAccount = await register(a.url, name, PASSWORD);
    const owner = await register(b.url);
    const roomName = unique("ban");
    const made = await fetch(`${b.url}/api/rooms`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: roomName }),
    });
    const room = ((await made.json()) as { room: { id: number } }).room.id;
    await joinRoom(a.url, ircAccount.token, room);
    const channel = `#${roomName}`;
    const c = await loginIrc(a.ircPort, { name, password: PASSWORD }, CAPS);
    await c.waitFor((m) => m.command === "366" && m.params[1] === channel);
    const ws = await connect(b.wsUrl, owner.token);
    await ws.request({ type: "resume", rooms: [{ room, after: 0 }] });
    const banned = await fetch(`${b.url}/api/rooms/${room}/moderation`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.token}`, "content-type": "application/json" },
      body: JSON.stringify({ action: "ban", user: name }),
    });
    expect(banned.status).toBe(204);
    const kick = await c.command("KICK");
    expect(kick.params.slice(0, 2)).toEqual([channel, name]);
    const from = c.lines.length;
    await ws.request({ type: "send", room, cid: "after-ban", body: "after the ban" });
    await ws.waitForMessages(room, 1, 20_000);
    c.send("PING :after");
    await c.waitFor((m) => m.command === "PONG" && m.params[1] === "after", { from });
    await Bun.sleep(300);
    expect(c.lines.slice(from).some((m) => m.params.includes("after the ban"))).toBe(false);
    c.close();
    ws.close();
  });
});
