/**
 * The terminal client in a PTY with each built-in theme, with NO_COLOR and --no-color, and
 * with a theme file in the config directory: the escape codes it writes are read raw.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SessionStore } from "../../src/client/session-store.ts";
import { createStyle } from "../../src/client/style.ts";
import { type BuiltInTheme, builtInTheme } from "../../src/client/theme.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { createRoom, joinRoom, register, unique } from "../support/client.ts";
import { ROOT, startTestServer, type TestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { type PtyClient, spawnClient } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** Any SGR sequence: a colour or an attribute such as bold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what it reads.
const SGR = /\x1b\[[0-9;]*m/;

describe("terminal themes", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  /**
   * Alice's client, started with `args` and `env` in its own config directory, in a room where
   * bob has said hello; resolves once the message is on screen.
   */
  async function run(
    args: string[],
    env: Record<string, string>,
    themeFile?: string,
  ): Promise<{ client: PtyClient; bob: string; done: () => void }> {
    const config = tempDir("parley-theme-");
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const room = unique("paint");
    const roomId = await createRoom(server.url, alice.token, room);
    await joinRoom(server.url, bob.token, roomId);
    const sessions = new SessionStore(join(config.path, "parley"));
    sessions.save([server.url], { ...alice, expiresAt: Date.now() + 86_400_000 });
    sessions.saveView([server.url], alice.user.id, {
      last: `#${room}`,
      history: {},
      highlights: [],
      bell: true,
    });
    if (themeFile !== undefined)
      writeFileSync(join(config.path, "parley", "theme.json"), themeFile);
    const client = spawnClient(["--server", server.url, ...args], {
      XDG_CONFIG_HOME: config.path,
      ...env,
    });
    await client.waitFor(new RegExp(`You are in #${room}`));
    client.type(`hello from alice\r`);
    await client.waitFor(/hello from alice/);
    const conn = new Connection({ server: server.url, token: bob.token });
    conn.start();
    await conn.join(room);
    conn.send(roomId, "hello from bob");
    await client.waitFor(/hello from bob/);
    return {
      client,
      bob: bob.user.name,
      done: () => {
        conn.close();
        client.proc.kill("SIGKILL");
        config.remove();
      },
    };
  }

  const expected: Record<Exclude<BuiltInTheme, "no-color">, string[]> = {
    default: ["\x1b[36m", "\x1b[2m", "\x1b[1m"],
    "light-terminal": ["\x1b[38;5;25m", "\x1b[38;5;242m", "\x1b[1m"],
    "high-contrast": ["\x1b[1;4m", "\x1b[1m"],
  };

  for (const [name, codes] of Object.entries(expected) as [BuiltInTheme, string[]][]) {
    it(`draws the ${name} theme's colours, and bob's name in his stable colour`, async () => {
      // NO_COLOR is set (pty.ts sets it): --theme on the command line wins over it.
      const { client, bob, done } = await run(["--theme", name], { NO_COLOR: "1" });
      try {
        const raw = client.raw();
        for (const code of codes) expect(raw).toContain(code);
        expect(raw).toContain(createStyle(builtInTheme(name)).name(bob));
        if (name === "high-contrast") {
          // Never a hue nor dimmed text: the terminal's own foreground, bold or reversed.
          // biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what it reads.
          expect(raw).not.toMatch(/\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;5;\d+|2)m/);
        }
      } finally {
        done();
      }
    });
  }

  for (const [label, args, env] of [
    ["the no-color theme", ["--theme", "no-color"], {}],
    ["NO_COLOR", [], { NO_COLOR: "1" }],
    ["--no-color, even with a colour theme", ["--no-color", "--theme", "default"], {}],
  ] as [string, string[], Record<string, string>][]) {
    it(`writes no colour or attribute escape at all with ${label}`, async () => {
      const { client, done } = await run(args, { NO_COLOR: "", ...env });
      try {
        expect(client.raw()).not.toMatch(SGR);
      } finally {
        done();
      }
    });
  }

  it("takes colours, symbols and the timestamp format from theme.json in the config directory", async () => {
    const file = JSON.stringify({
      extends: "light-terminal",
      colors: { accent: "#0b7a75", names: ["magenta"] },
      symbols: { own: ">>" },
      time: { format: "[%H:%M:%S]" },
    });
    const { client, bob, done } = await run([], { NO_COLOR: "1" }, file);
    try {
      const raw = client.raw();
      expect(raw).toContain("\x1b[38;2;11;122;117m");
      expect(raw).toContain(`\x1b[35m${bob}\x1b[39m`);
      expect(client.screen.text()).toMatch(/\[\d\d:\d\d:\d\d\] >> \S+: hello from alice/);
      expect(client.screen.text()).toMatch(/\[\d\d:\d\d:\d\d\] {4}\S+: hello from bob/);
    } finally {
      done();
    }
  });

  it("refuses a broken theme file with its reason and exit code 2", async () => {
    const config = tempDir("parley-theme-bad-");
    try {
      const path = join(config.path, "mine.json");
      writeFileSync(path, JSON.stringify({ colors: { accent: "sparkly" } }));
      const proc = Bun.spawn(
        [process.execPath, join(ROOT, "client.ts"), "--theme", path, "sessions"],
        {
          env: { ...process.env, XDG_CONFIG_HOME: config.path },
          stderr: "pipe",
        },
      );
      expect(await proc.exited).toBe(2);
      expect(await new Response(proc.stderr).text()).toContain('"sparkly" is not a colour');
    } finally {
      config.remove();
    }
  });
});
