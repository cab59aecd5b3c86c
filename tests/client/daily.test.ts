/**
 * The interactive client as a daily driver, driven through a PTY with real keys: buffers and the
 * activity bar, history, Tab, scrollback, mentions, a big paste, hostile text, and a restart.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { SessionStore } from "../../src/client/session-store.ts";
import { Connection } from "../../src/client-core/connection.ts";
import type { Message } from "../../src/protocol/index.ts";
import { createRoom, joinRoom, register, unique } from "../support/client.ts";
import { startTestServer, type TestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { type PtyClient, spawnClient } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const PAGE_UP = "\x1b[5~";
const PAGE_DOWN = "\x1b[6~";
const UP = "\x1b[A";
const CTRL_U = "\x15";

/** Presses a key until the screen matches (each press waits a little for the redraw). */
async function pressUntil(c: PtyClient, key: string, pattern: RegExp, times = 20): Promise<void> {
  for (let i = 0; i < times && !pattern.test(c.screen.text()); i++) {
    c.type(key);
    await Bun.sleep(150);
  }
  await c.waitFor(pattern);
}

describe("the terminal client as a daily driver", () => {
  let server: TestServer;
  const config = tempDir("parley-config-");
  const env = { XDG_CONFIG_HOME: config.path };
  beforeAll(async () => {
    // The default rate (20/s, burst 60): the paste must get through under it.
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
    config.remove();
  });

  it("should keep buffers, history, Tab, scrollback, mentions, a 200-line paste and the last buffer", async () => {
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const lounge = unique("lounge");
    const dev = unique("dev");
    const loungeId = await createRoom(server.url, alice.token, lounge);
    const devId = await createRoom(server.url, alice.token, dev);
    for (const room of [loungeId, devId]) await joinRoom(server.url, bob.token, room);
    const bobConn = new Connection({ server: server.url, token: bob.token });
    const bobSaw: Message[] = [];
    bobConn.on("message", (m) => bobSaw.push(m));
    bobConn.start();
    await bobConn.join(lounge);
    await bobConn.join(dev);
    const bobSend = async (room: number, body: string) => {
      const item = bobConn.send(room, body);
      await until(() => !bobConn.pending().includes(item), `bob's "${body.slice(0, 20)}" to go`);
    };
    for (let i = 1; i <= 60; i++) bobConn.send(loungeId, `seed ${String(i).padStart(2, "0")}`);
    await until(() => bobConn.pending().length === 0, "the seed messages to be stored");

    const sessions = new SessionStore(join(config.path, "parley"));
    sessions.save([server.url], { ...alice, expiresAt: Date.now() + 86_400_000 });
    sessions.saveView([server.url], alice.user.id, {
      last: `#${lounge}`,
      history: {},
      highlights: [],
      bell: true,
    });
    let client = spawnClient(["--server", server.url], env, { cols: 100, rows: 24 });
    try {
      // Straight into the remembered buffer, with every joined room in the activity bar.
      await client.waitFor(new RegExp(`You are in #${lounge}`));
      await client.waitFor(new RegExp(`1:#${dev} \\[2:#${lounge}\\]`));
      await client.waitFor(/seed 60/);

      // PageUp scrolls back and, at the top, fetches what the join did not replay.
      expect(client.screen.text()).not.toMatch(/seed 01/);
      await pressUntil(client, PAGE_UP, /seed 01/);
      await client.waitFor(/beginning of the conversation/);
      await client.waitFor(/more below/);
      await pressUntil(client, PAGE_DOWN, /^(?![\s\S]*more below)[\s\S]*seed 60/);

      // Up recalls what was sent here.
      client.type("first line\r");
      await until(() => bobSaw.some((m) => m.body === "first line"), "bob to get the first line");
      client.type("second line\r");
      await until(() => bobSaw.some((m) => m.body === "second line"), "bob to get both lines");
      client.type(UP + UP);
      await client.waitFor(/› first line$/m);
      client.type(CTRL_U);

      // Tab completes a command, and a nick seen here.
      client.type("/he\t");
      await client.waitFor(/› \/help$/m);
      client.type(`${CTRL_U}hey ${bob.user.name.slice(0, 4)}\t`);
      await client.waitFor(new RegExp(`› hey ${bob.user.name}$`, "m"));
      client.type("\r");
      await until(
        () => bobSaw.some((m) => m.body === `hey ${bob.user.name} `),
        "bob to get the completed line",
      );

      // A buffer not on screen counts its unread messages, and a mention apart, with a bell.
      const bells = client.screen.bells;
      await bobSend(devId, "news in dev");
      await client.waitFor(new RegExp(`1:#${dev}\\(1\\)`));
      expect(client.screen.text()).not.toMatch(/news in dev/);
      expect(client.screen.bells).toBe(bells);
      await bobSend(devId, `ping @${alice.user.name}`);
      await client.waitFor(new RegExp(`1:#${dev}\\(2 !1\\)`));
      expect(client.screen.bells).toBe(bells + 1);

      // Alt-1 shows it; hostile text from bob is escaped, multi-line text indented.
      client.type("\x1b1");
      await client.waitFor(new RegExp(`\\[1:#${dev}\\]`));
      await client.waitFor(/news in dev/);
      await bobSend(devId, "evil\x1b]0;pwned\x07 \u202egnp.exe\nsecond line of it");
      await client.waitFor(/evil␛\]0;pwned␇ \[U\+202E\]gnp\.exe$/m);
      await client.waitFor(/^ +second line of it$/m);
      expect(client.screen.bells).toBe(bells + 1);

      // A typist's message clears "is typing…" at once, not seconds later.
      bobConn.notify({ type: "typing", room: devId });
      await client.waitFor(/is typing…/);
      await bobSend(devId, "done typing");
      await client.waitFor(/done typing/);
      expect(client.screen.text()).not.toMatch(/is typing…/);

      // Text over the limit is counted, refused before sending, and kept in the input.
      client.type("x".repeat(4100));
      await client.waitFor(/4100\/4000: 100 over/);
      client.type("\r");
      await client.waitFor(/That is 4100 characters; a message holds 4000/);
      expect(client.screen.cursorLine()).toMatch(/^› x+$/);
      client.type(CTRL_U);

      // A 200-line paste, starting with /quit, is one message, and the connection stays up.
      const lines = ["/quit", ...Array.from({ length: 199 }, (_, i) => `pasted ${i + 2}`)];
      client.type(`\x1b[200~${lines.join("\r")}\x1b[201~`);
      await client.waitFor(/Pasted 200 lines/);
      client.type("\r");
      await until(
        () => bobSaw.some((m) => m.body === lines.join("\n")),
        "bob to get the paste as one message",
      );
      expect(bobSaw.filter((m) => m.body.startsWith("pasted "))).toEqual([]);
      await client.waitFor(/pasted 200/);
      expect(client.screen.text()).not.toMatch(/reconnecting|Connection lost/);
      expect(client.proc.exitCode).toBeNull();

      // A restart comes back to the buffer last on screen.
      client.type("\x03");
      expect(await client.proc.exited).toBe(0);
      client = spawnClient(["--server", server.url], env, { cols: 100, rows: 24 });
      await client.waitFor(new RegExp(`\\[1:#${dev}\\] 2:#${lounge}`));
      await client.waitFor(new RegExp(`You are in #${dev}`));
      client.type(UP);
      await client.waitFor(/· 200 lines$/m);
      await client.waitFor(/› .*pasted 199↵pasted 200$/m);
      client.type("\x03");
      expect(await client.proc.exited).toBe(0);
    } finally {
      bobConn.close();
      client.proc.kill();
    }
  });
});
