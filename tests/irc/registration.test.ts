import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { api, register, unique } from "../support/client.ts";
import { waitFor } from "../support/services.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { type IrcServer, PASSWORD, person, sessionCount, startIrcServer } from "./fixture.ts";
import { IrcTestClient, loginIrc, saslPlain } from "./irc-client.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: IrcServer;
beforeAll(async () => {
  server = await startIrcServer();
});
afterAll(() => server.close());

const clients: IrcTestClient[] = [];
async function open(): Promise<IrcTestClient> {
  const c = await IrcTestClient.connect(server.ircPort);
  clients.push(c);
  return c;
}
afterAll(() => {
  for (const c of clients) c.close();
});

describe("logging in", () => {
  it("logs in with SASL PLAIN and welcomes the account's nick, whatever nick was asked for", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send(
      "CAP LS 302",
      "NICK someoneelse",
      "USER x 0 * :X",
      "CAP REQ :sasl",
      "AUTHENTICATE PLAIN",
    );
    await c.command("AUTHENTICATE");
    c.send(`AUTHENTICATE ${saslPlain(p.name, p.password)}`);
    const loggedIn = await c.command("900");
    expect(loggedIn.params[2]).toBe(p.name);
    await c.command("903");
    c.send("CAP END");
    const welcome = await c.command("001");
    expect(welcome.params[0]).toBe(p.name);
    const isupport = await c.command("005");
    expect(isupport.params).toContain("CHANTYPES=#");
    expect(isupport.params).toContain("UTF8ONLY");
    await c.command("376");
  });

  it("logs in with PASS name:password for clients without SASL", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send(`PASS :${p.name}:${p.password}`, `NICK ${p.name}`, "USER x 0 * :X");
    expect((await c.command("001")).params[0]).toBe(p.name);
  });

  it("logs in with a bare PASS password and a mapped nick (^ before a leading digit)", async () => {
    const name = `7${unique("n")}`.slice(0, 32);
    const account = await register(server.url, name, "digits-first-1");
    const c = await open();
    c.send("PASS digits-first-1", `NICK ^${name}`, "USER x 0 * :X");
    expect((await c.command("001")).params[0]).toBe(`^${name}`);
    expect(account.user.name).toBe(name);
  });

  it("refuses a wrong SASL password with 904 and still allows another try", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send("CAP REQ :sasl", "AUTHENTICATE PLAIN");
    await c.command("AUTHENTICATE");
    c.send(`AUTHENTICATE ${saslPlain(p.name, "wrong password")}`);
    const failed = await c.command("904");
    expect(failed.params[1]).toContain("Unknown username or wrong password");
    const from = c.lines.length;
    c.send("AUTHENTICATE PLAIN");
    await c.command("AUTHENTICATE", from);
    c.send(`AUTHENTICATE ${saslPlain(p.name, p.password)}`);
    await c.command("903", from);
  });

  it("answers an unknown account exactly as a wrong password (no enumeration)", async () => {
    const c = await open();
    c.send("CAP REQ :sasl", "AUTHENTICATE PLAIN");
    await c.command("AUTHENTICATE");
    c.send(`AUTHENTICATE ${saslPlain("nobody-here-at-all", "whatever pass")}`);
    const failed = await c.command("904");
    expect(failed.params[1]).toContain("Unknown username or wrong password");
  });

  it("refuses a wrong PASS with 464 and closes", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send(`PASS ${p.name}:nope-nope-nope`, `NICK ${p.name}`, "USER x 0 * :X");
    await c.command("464");
    await c.command("ERROR");
    await c.waitClosed();
  });

  it("closes a client that registers without logging in, saying how to log in", async () => {
    const c = await open();
    c.send("NICK guest", "USER x 0 * :X");
    const refused = await c.command("464");
    expect(refused.params[1]).toContain("SASL PLAIN");
    await c.waitClosed();
  });

  it("refuses a malformed SASL payload and an unknown mechanism", async () => {
    const c = await open();
    c.send("CAP REQ :sasl", "AUTHENTICATE SCRAM-SHA-256");
    expect((await c.command("908")).params[1]).toBe("PLAIN");
    await c.command("904");
    const from = c.lines.length;
    c.send("AUTHENTICATE PLAIN");
    await c.command("AUTHENTICATE", from);
    c.send("AUTHENTICATE bm90IGEgcGxhaW4gbWVzc2FnZQ==");
    await c.command("904", from);
    c.send("AUTHENTICATE *");
    await c.command("906");
  });

  it("throttles SASL logins like POST /api/login, by address", async () => {
    const throttled = await startIrcServer(["--login-burst", "2"]);
    try {
      const p = await person(throttled.url);
      const c = await IrcTestClient.connect(throttled.ircPort);
      clients.push(c);
      c.send("CAP REQ :sasl");
      for (let i = 0; i < 3; i++) {
        const from = c.lines.length;
        c.send("AUTHENTICATE PLAIN");
        await c.command("AUTHENTICATE", from);
        c.send(`AUTHENTICATE ${saslPlain(p.name, "wrong password")}`);
        await c.command("904", from);
      }
      const last = c.lines.filter((l) => l.command === "904").at(-1);
      expect(last?.params[1]).toContain("Too many attempts");
      // The same throttle answers the HTTP login from this address.
      const http = await api(throttled.url, "POST", "/api/login", {
        username: p.name,
        password: PASSWORD,
      });
      expect(http.status).toBe(429);
    } finally {
      await throttled.close();
    }
  });

  it("counts IRC connections in the per-user cap shared with WebSockets", async () => {
    const capped = await startIrcServer(["--max-connections-per-user", "1"]);
    try {
      const p = await person(capped.url);
      const first = await loginIrc(capped.ircPort, p);
      clients.push(first);
      const second = await IrcTestClient.connect(capped.ircPort);
      clients.push(second);
      second.send(`PASS :${p.name}:${p.password}`, `NICK ${p.name}`, "USER x 0 * :X");
      const error = await second.command("ERROR");
      expect(error.params[0]).toBe("Too many open connections");
      await second.waitClosed();
      // The WebSocket upgrade is refused too while the IRC connection holds the slot.
      const ws = await fetch(`${capped.url}/ws`, {
        headers: { authorization: `Bearer ${p.token}`, upgrade: "websocket" },
      });
      expect(ws.status).toBe(429);
    } finally {
      await capped.close();
    }
  });

  it("ends the sessions of its IRC connections when the server stops", async () => {
    const stopping = await startIrcServer();
    const p = await person(stopping.url);
    const c = await loginIrc(stopping.ircPort, p);
    expect(sessionCount(stopping.db, p.user.id)).toBe(2);
    await stopping.close({ keepFiles: true });
    expect(c.lines.at(-1)?.command).toBe("ERROR");
    expect(sessionCount(stopping.db, p.user.id)).toBe(1);
    stopping.remove();
  });

  it("caps IRC connections per address, logged in or not", async () => {
    const capped = await startIrcServer(["--max-connections-per-address", "2"]);
    try {
      const open3 = [];
      for (let i = 0; i < 3; i++) open3.push(await IrcTestClient.connect(capped.ircPort));
      clients.push(...open3);
      const third = open3[2] as IrcTestClient;
      expect((await third.command("ERROR")).params[0]).toBe(
        "Too many connections from your address",
      );
      await third.waitClosed();
      (open3[0] as IrcTestClient).send("PING first");
      await (open3[0] as IrcTestClient).command("PONG");
    } finally {
      await capped.close();
    }
  });

  it("refuses a SASL message past its bound with 905", async () => {
    const c = await open();
    c.send("CAP REQ :sasl", "AUTHENTICATE PLAIN");
    await c.command("AUTHENTICATE");
    for (let i = 0; i < 4; i++) c.send(`AUTHENTICATE ${"A".repeat(400)}`);
    await c.command("905");
  });

  it("ends the gateway's session when the client quits", async () => {
    const p = await person(server.url);
    const c = await loginIrc(server.ircPort, p);
    clients.push(c);
    c.send("QUIT :bye");
    const error = await c.command("ERROR");
    expect(error.params[0]).toBe("Quit: bye");
    await c.waitClosed();
    // Registering made one session; the IRC login made another, gone with the connection.
    await waitFor(() => sessionCount(server.db, p.user.id) <= 1, "the IRC session ended");
    expect(sessionCount(server.db, p.user.id)).toBe(1);
  });
});

describe("capability negotiation", () => {
  it("lists values only to 302 clients", async () => {
    const c = await open();
    c.send("CAP LS");
    const plain = await c.command("CAP");
    expect(plain.params[2]?.split(" ")).toContain("sasl");
    const from = c.lines.length;
    c.send("CAP LS 302");
    const v302 = await c.command("CAP", from);
    expect(v302.params[2]?.split(" ")).toContain("sasl=PLAIN");
    for (const cap of [
      "cap-notify",
      "server-time",
      "message-tags",
      "echo-message",
      "account-tag",
      "away-notify",
      "batch",
      "labeled-response",
      "draft/chathistory",
    ]) {
      expect(v302.params[2]?.split(" ")).toContain(cap);
    }
  });

  it("waits for CAP END when NICK and USER came before CAP LS", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send(`PASS :${p.name}:${p.password}`, `NICK ${p.name}`, "CAP LS 302", "USER x 0 * :X");
    await c.command("CAP");
    await Bun.sleep(200);
    expect(c.lines.some((l) => l.command === "001")).toBe(false);
    c.send("CAP REQ :server-time", "CAP END");
    await c.command("001");
  });

  it("registers when CAP REQ comes without CAP LS, after CAP END", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send(
      "CAP REQ :echo-message",
      `PASS :${p.name}:${p.password}`,
      `NICK ${p.name}`,
      "USER x 0 * :X",
    );
    await c.waitFor((m) => m.command === "CAP" && m.params[1] === "ACK");
    await Bun.sleep(200);
    expect(c.lines.some((l) => l.command === "001")).toBe(false);
    c.send("CAP END");
    await c.command("001");
  });

  it("registers without any CAP at all", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send(`NICK ${p.name}`, `PASS :${p.name}:${p.password}`, "USER x 0 * :X");
    await c.command("001");
  });

  it("takes CAP END before anything else as a no-op", async () => {
    const p = await person(server.url);
    const c = await open();
    c.send("CAP END", `PASS :${p.name}:${p.password}`, `NICK ${p.name}`, "USER x 0 * :X");
    await c.command("001");
  });

  it("NAKs a request naming an unknown capability and enables none of it", async () => {
    const c = await open();
    c.send("CAP LS 302", "CAP REQ :server-time no-such-cap");
    const nak = await c.waitFor((m) => m.command === "CAP" && m.params[1] === "NAK");
    expect(nak.params[2]).toBe("server-time no-such-cap");
    c.send("CAP LIST");
    const list = await c.waitFor((m) => m.command === "CAP" && m.params[1] === "LIST");
    expect(list.params[2]?.split(" ")).not.toContain("server-time");
    expect(list.params[2]?.split(" ")).toContain("cap-notify");
  });

  it("turns a capability off with -name and lists what is on after registration", async () => {
    const p = await person(server.url);
    const c = await loginIrc(server.ircPort, p, ["server-time", "batch"]);
    clients.push(c);
    c.send("CAP REQ :-batch", "CAP LIST");
    const list = await c.waitFor((m) => m.command === "CAP" && m.params[1] === "LIST");
    expect(list.params[2]?.split(" ").sort()).toEqual(["cap-notify", "sasl", "server-time"]);
  });

  it("answers an unknown CAP subcommand with 410", async () => {
    const c = await open();
    c.send("CAP FROB");
    expect((await c.command("410")).params[1]).toBe("FROB");
  });
});

describe("bad input", () => {
  it("answers an unknown command with 421, and commands before login with 451", async () => {
    const c = await open();
    c.send("FROBNICATE a b", "JOIN #x", "PRIVMSG #x :hi");
    expect((await c.command("421")).params[1]).toBe("FROBNICATE");
    await c.command("451");
  });

  it("answers missing parameters with 461", async () => {
    const c = await open();
    c.send("USER onlyone");
    expect((await c.command("461")).params[1]).toBe("USER");
  });

  it("refuses an over-long line with 417, and a line with no end at all, and keeps going", async () => {
    const c = await open();
    c.send(`PING ${"x".repeat(600)}`);
    await c.command("417");
    c.sendRaw(`PING ${"y".repeat(20_000)}`);
    await c.waitFor((m) => m.command === "417", {
      from: c.lines.findIndex((l) => l.command === "417") + 1,
    });
    c.send("", "PING alive");
    const pong = await c.command("PONG");
    expect(pong.params[1]).toBe("alive");
  });

  it("drops lines that are not UTF-8 with FAIL INVALID_UTF8", async () => {
    const c = await open();
    c.sendRaw(new Uint8Array([0x50, 0x49, 0x4e, 0x47, 0x20, 0xff, 0xfe, 0x0d, 0x0a]));
    const fail = await c.command("FAIL");
    expect(fail.params[1]).toBe("INVALID_UTF8");
    c.send("PING ok");
    await c.command("PONG");
  });

  it("survives garbage and closes a client that keeps sending it", async () => {
    const c = await open();
    const garbage = [":", "@", "@a=b", ":src", "\u0001\u0002", "   ", ":x :y", "@;;; :"];
    for (let i = 0; i < 3; i++) c.send(...garbage);
    await c.waitClosed();
    expect(c.lines.at(-1)?.command).toBe("ERROR");
    // The server still serves everyone else.
    const other = await open();
    other.send("PING still-here");
    await other.command("PONG");
  });

  it("rate-limits a flood with FAIL RATE_LIMITED, then closes it for excess flood", async () => {
    const p = await person(server.url);
    const c = await loginIrc(server.ircPort, p);
    clients.push(c);
    const burst: string[] = [];
    for (let i = 0; i < 200; i++) burst.push(`PING flood${i}`);
    c.send(...burst);
    const limited = await c.waitFor((m) => m.command === "FAIL" && m.params[1] === "RATE_LIMITED");
    expect(limited.params[0]).toBe("PING");
    await c.waitClosed();
    expect(c.lines.at(-1)?.params[0]).toBe("Excess Flood");
  });
});
