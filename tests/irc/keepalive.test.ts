import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { type IrcServer, person, startIrcServer } from "./fixture.ts";
import { IrcTestClient, loginIrc } from "./irc-client.ts";

setDefaultTimeout(TEST_TIMEOUT_MS * 2);

/** The shortest heartbeat the server takes: 8 s. */
let server: IrcServer;
beforeAll(async () => {
  server = await startIrcServer(["--heartbeat", "8"]);
});
afterAll(() => server.close());

describe("keepalive", () => {
  it("PINGs a silent client, keeps one that answers, and drops one that does not", async () => {
    const quiet = await loginIrc(server.ircPort, await person(server.url));
    const lively = await loginIrc(server.ircPort, await person(server.url));
    lively.autoPong = true;
    await quiet.command("PING", 0, 30_000);
    await quiet.waitClosed(40_000);
    expect(quiet.lines.at(-1)?.raw).toBe("ERROR :Ping timeout");
    // The lively one was asked too, answered, and is still here.
    await lively.command("PING", 0, 30_000);
    expect(lively.closed).toBe(false);
    lively.send("PING still");
    await lively.waitFor((m) => m.command === "PONG" && m.params[1] === "still");
    lively.close();
  });

  it("closes a connection that never registers", async () => {
    const c = await IrcTestClient.connect(server.ircPort);
    c.send("NICK lurker");
    await c.waitClosed(40_000);
    expect(c.lines.at(-1)?.raw).toBe("ERROR :Registration timed out");
  });
});
