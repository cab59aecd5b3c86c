/**
 * /search then /jump in the terminal client, through a PTY: a result older than anything the
 * buffer holds opens in context (a window of history around it, the view scrolled to it).
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { connect, createRoom, joinRoom, register, unique } from "../support/client.ts";
import { startTestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { saveLoginIn, spawnClient } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("the terminal client's search", () => {
  const config = tempDir("parley-config-");
  afterAll(() => config.remove());

  it("should open a result older than the buffer holds in its room, scrolled to it", async () => {
    const server = await startTestServer({ rate: 10_000, burst: 10_000 });
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const lounge = unique("lounge");
    const other = unique("other");
    const room = await createRoom(server.url, alice.token, lounge);
    await createRoom(server.url, alice.token, other);
    await joinRoom(server.url, bob.token, room);
    const b = await connect(server.wsUrl, bob.token);
    await b.request({ type: "join", room });
    const say = (body: string) =>
      b.request({ type: "send", room, cid: unique("c"), body } as never);
    await say("the walrus has landed");
    for (let i = 1; i <= 150; i++) await say(`filler number ${i}`);
    // The client opens in the other room: the lounge's buffer holds only what comes live.
    saveLoginIn(config.path, server.url, alice, other);
    const client = spawnClient(
      ["--server", server.url],
      { XDG_CONFIG_HOME: config.path },
      { cols: 100, rows: 24 },
    );
    try {
      await client.waitFor(new RegExp(`You are in #${other}`));
      client.type("/search walrus\r");
      await client.waitFor(
        new RegExp(`\\[1\\] #${lounge} \\d\\d:\\d\\d ${bob.user.name}: the walrus has landed`),
      );
      client.type("/jump 9\r");
      await client.waitFor(/Usage: \/jump N, with N a result of the last \/search/);
      client.type("/jump 1\r");
      await client.waitFor(new RegExp(`\\[\\d:#${lounge}\\]`));
      await client.waitFor(new RegExp(`${bob.user.name}: the walrus has landed`));
      await client.waitFor(/filler number 1\b/);
      // Scrolled to it: the newest messages are below the view.
      expect(client.screen.text()).not.toMatch(/filler number 150/);
    } finally {
      client.proc.kill();
      await b.close();
      await server.close();
    }
  });
});
