import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { connect, createRoom, joinRoom, type TestSocket, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { makeCertificates, type TestCertificates } from "../support/tls.ts";
import { type IrcServer, PASSWORD, type Person, person, startIrcServer } from "./fixture.ts";
import { IrcTestClient, loginIrc, saslPlain } from "./irc-client.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: IrcServer;
const closers: (() => unknown)[] = [];
beforeAll(async () => {
  server = await startIrcServer();
});
afterAll(async () => {
  for (const close of closers) close();
  await server.close();
});

const HISTORY_CAPS = ["draft/chathistory", "batch", "server-time", "message-tags"];

async function irc(p: Person, caps = HISTORY_CAPS): Promise<IrcTestClient> {
  const c = await loginIrc(server.ircPort, p, caps);
  closers.push(() => c.close());
  return c;
}

/** A room with `count` messages from a WebSocket member; returns their acks. */
async function roomWithMessages(count: number) {
  const owner = await person(server.url, "w");
  const reader = await person(server.url, "r");
  const room = await createRoom(server.url, owner.token);
  await joinRoom(server.url, reader.token, room);
  const web: TestSocket = await connect(server.wsUrl, owner.token);
  closers.push(() => web.close());
  await web.request({ type: "join", room });
  const acks: ServerFrameOf<"ack">[] = [];
  for (let i = 1; i <= count; i++) {
    acks.push(
      await web.request<ServerFrameOf<"ack">>({ type: "send", room, cid: `h${i}`, body: `m${i}` }),
    );
    // Distinct milliseconds, so timestamps name messages unambiguously.
    await Bun.sleep(3);
  }
  const rooms = await web.request<ServerFrameOf<"rooms">>({ type: "rooms" });
  const name = rooms.rooms.find((r) => r.id === room)?.name as string;
  return { owner, reader, room, channel: `#${name}`, web, acks };
}

/** Sends a CHATHISTORY request and returns the bodies in its batch. */
async function history(c: IrcTestClient, request: string): Promise<string[]> {
  const from = c.lines.length;
  c.send(request);
  const start = await c.waitFor(
    (m) => m.command === "BATCH" && m.params[0]?.startsWith("+") === true,
    { from },
  );
  expect(start.params[1]).toBe("chathistory");
  const id = (start.params[0] as string).slice(1);
  await c.waitFor((m) => m.command === "BATCH" && m.params[0] === `-${id}`, { from });
  return c.lines
    .slice(from)
    .filter((l) => l.command === "PRIVMSG" && l.tags.get("batch") === id)
    .map((l) => l.params[1] as string);
}

const iso = (ms: number) => new Date(ms).toISOString();

describe("CHATHISTORY", () => {
  it("gives no replay on JOIN to a client with chathistory: it asks", async () => {
    const s = await roomWithMessages(3);
    const c = await irc(s.reader);
    await c.command("366");
    await Bun.sleep(200);
    expect(c.lines.some((l) => l.command === "PRIVMSG")).toBe(false);
  });

  it("answers LATEST, BEFORE, AFTER, AROUND and BETWEEN by msgid", async () => {
    const s = await roomWithMessages(10);
    const c = await irc(s.reader);
    await c.command("366");
    const id = (n: number) => `msgid=${s.room}-${s.acks[n - 1]?.seq}`;
    expect(await history(c, `CHATHISTORY LATEST ${s.channel} * 3`)).toEqual(["m8", "m9", "m10"]);
    expect(await history(c, `CHATHISTORY LATEST ${s.channel} ${id(8)} 10`)).toEqual(["m9", "m10"]);
    expect(await history(c, `CHATHISTORY BEFORE ${s.channel} ${id(5)} 2`)).toEqual(["m3", "m4"]);
    expect(await history(c, `CHATHISTORY AFTER ${s.channel} ${id(5)} 2`)).toEqual(["m6", "m7"]);
    expect(await history(c, `CHATHISTORY AROUND ${s.channel} ${id(5)} 4`)).toEqual([
      "m3",
      "m4",
      "m5",
      "m6",
    ]);
    expect(await history(c, `CHATHISTORY BETWEEN ${s.channel} ${id(2)} ${id(6)} 10`)).toEqual([
      "m3",
      "m4",
      "m5",
    ]);
  });

  it("answers by timestamp, with exclusive bounds", async () => {
    const s = await roomWithMessages(6);
    const c = await irc(s.reader);
    await c.command("366");
    const ts = (n: number) => `timestamp=${iso(s.acks[n - 1]?.ts as number)}`;
    expect(await history(c, `CHATHISTORY AFTER ${s.channel} ${ts(2)} 10`)).toEqual([
      "m3",
      "m4",
      "m5",
      "m6",
    ]);
    expect(await history(c, `CHATHISTORY BEFORE ${s.channel} ${ts(3)} 10`)).toEqual(["m1", "m2"]);
    expect(await history(c, `CHATHISTORY BETWEEN ${s.channel} ${ts(1)} ${ts(4)} 10`)).toEqual([
      "m2",
      "m3",
    ]);
    expect(await history(c, `CHATHISTORY LATEST ${s.channel} ${ts(5)} 10`)).toEqual(["m6"]);
  });

  it("tags history lines with their original time and msgid", async () => {
    const s = await roomWithMessages(2);
    const c = await irc(s.reader);
    await c.command("366");
    await history(c, `CHATHISTORY LATEST ${s.channel} * 1`);
    const line = c.lines.findLast((l) => l.command === "PRIVMSG");
    expect(line?.tags.get("msgid")).toBe(`${s.room}-${s.acks[1]?.seq}`);
    expect(line?.tags.get("time")).toBe(iso(s.acks[1]?.ts as number));
  });

  it("lists TARGETS with activity between two times", async () => {
    const s = await roomWithMessages(1);
    const c = await irc(s.reader);
    await c.command("366");
    const from = c.lines.length;
    const sent = s.acks[0]?.ts as number;
    c.send(
      `CHATHISTORY TARGETS timestamp=${iso(sent - 60_000)} timestamp=${iso(sent + 60_000)} 10`,
    );
    const target = await c.waitFor((m) => m.command === "CHATHISTORY", { from });
    expect(target.params.slice(0, 2)).toEqual(["TARGETS", s.channel]);
  });

  it("refuses a room the user is not in, a nick, bad references and bad limits with FAIL", async () => {
    const s = await roomWithMessages(1);
    const outsider = await person(server.url, "o");
    const c = await irc(outsider);
    const cases: [string, string][] = [
      [`CHATHISTORY LATEST ${s.channel} * 10`, "INVALID_TARGET"],
      [`CHATHISTORY LATEST ${s.owner.name} * 10`, "INVALID_TARGET"],
      ["CHATHISTORY LATEST #no-such-room * 10", "INVALID_TARGET"],
      ["CHATHISTORY FROB #x * 10", "INVALID_PARAMS"],
    ];
    const mine = await irc(s.reader);
    await mine.command("366");
    for (const [request, code] of cases) {
      const from = c.lines.length;
      c.send(request);
      expect((await c.command("FAIL", from)).params[1]).toBe(code);
    }
    for (const request of [
      `CHATHISTORY BEFORE ${s.channel} * 10`,
      `CHATHISTORY AFTER ${s.channel} msgid=999999-1 10`,
      `CHATHISTORY AFTER ${s.channel} timestamp=yesterday 10`,
      `CHATHISTORY LATEST ${s.channel} * 0`,
      `CHATHISTORY LATEST ${s.channel} * lots`,
    ]) {
      const from = mine.lines.length;
      mine.send(request);
      expect((await mine.command("FAIL", from)).params[1]).toBe("INVALID_PARAMS");
    }
  });
});

describe("reconnecting", () => {
  it("replays what a client without chathistory missed while away, once, in order", async () => {
    const s = await roomWithMessages(2);
    const first = await irc(s.reader, ["server-time"]);
    // A new member is replayed the recent messages on its first join.
    await first.waitFor((m) => m.params[1] === "m2");
    first.send("QUIT");
    await first.waitClosed();
    for (const body of ["missed 1", "missed 2", "missed 3"]) {
      await s.web.request({ type: "send", room: s.room, cid: body, body });
    }
    const again = await irc(s.reader, ["server-time"]);
    await again.waitFor((m) => m.params[1] === "missed 3");
    await s.web.request({ type: "send", room: s.room, cid: "live", body: "live" });
    await again.waitFor((m) => m.params[1] === "live");
    const bodies = again.lines.filter((l) => l.command === "PRIVMSG").map((l) => l.params[1]);
    expect(bodies).toEqual(["missed 1", "missed 2", "missed 3", "live"]);
    const replayed = again.lines.find((l) => l.params[1] === "missed 1");
    expect(replayed?.tags.get("time")).toBeDefined();
  });
});

describe("TLS", () => {
  let certs: TestCertificates;
  let tlsServer: IrcServer;
  beforeAll(async () => {
    certs = await makeCertificates();
    tlsServer = await startIrcServer([
      "--tls-cert",
      certs.cert,
      "--tls-key",
      certs.key,
      "--irc-tls-port",
      "0",
    ]);
  });
  afterAll(async () => {
    await tlsServer.close();
    certs.remove();
  });

  it("serves IRC over TLS with the server's certificate", async () => {
    const url = tlsServer.ircUrls.find((u) => u.startsWith("ircs://")) as string;
    const name = unique("t");
    const registered = await fetch(`${tlsServer.url}/api/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: name, password: PASSWORD }),
      tls: { ca: Bun.file(certs.ca) },
    });
    expect(registered.status).toBe(201);
    const c = await IrcTestClient.connect(Number(new URL(url).port), {
      tls: { ca: await Bun.file(certs.ca).text() },
    });
    closers.push(() => c.close());
    c.send("CAP REQ :sasl", "NICK x", "USER x 0 * :X", "AUTHENTICATE PLAIN");
    await c.command("AUTHENTICATE");
    c.send(`AUTHENTICATE ${saslPlain(name, PASSWORD)}`, "CAP END");
    expect((await c.command("001")).params[0]).toBe(name);
  });
});
