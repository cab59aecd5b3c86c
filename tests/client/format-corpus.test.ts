/**
 * An XSS (and terminal-injection) corpus in formatted messages, shown by the terminal client
 * through a PTY: every message stays text. Markup inside it is shown as typed, no unsafe scheme
 * becomes a link, and no escape sequence from a message reaches the terminal: control
 * characters are shown as symbols (␛), so nothing can retitle the window, move the cursor or
 * plant a hyperlink. Also the mention rule (a whole @name rings the bell, an address does not)
 * and @name completion.
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { aliceAndBobIn, unique } from "../support/client.ts";
import { startTestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { saveLoginIn, spawnClient } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** Each message, and what of it the screen must show. */
const CORPUS: [string, RegExp][] = [
  ["**<script>alert(1)</script>**", /<script>alert\(1\)<\/script>/],
  ["[click](javascript:alert(1)) one", /\[click\]\(javascript:alert\(1\)\) one/],
  ["_<img src=x onerror=alert(1)>_", /<img src=x onerror=alert\(1\)>/],
  ["`\x1b]0;pwned\x07` two", /␛\]0;pwned␇ two/],
  ["**\x1b[2J\x1b[Hwiped** three", /␛\[2J␛\[Hwiped three/],
  ["[x](https://ok.example\x1b]8;;https://evil.example\x07) four", /four/],
  [
    "> \x1b]8;;https://evil.example\x07quoted\x1b]8;;\x07 five",
    /␛\]8;;https:\/\/evil\.example␇quoted/,
  ],
  ["```\n\x1b[31mred\n```", /␛\[31mred/],
];

describe("the terminal client's formatted messages", () => {
  const config = tempDir("parley-config-");
  afterAll(() => config.remove());

  it("should keep an XSS and escape-sequence corpus in formatted messages as text", async () => {
    const server = await startTestServer({ rate: 10_000, burst: 10_000 });
    const lounge = unique("lounge");
    const { alice, bob, room, b } = await aliceAndBobIn(server, lounge);
    saveLoginIn(config.path, server.url, alice, lounge);
    const client = spawnClient(
      ["--server", server.url],
      { XDG_CONFIG_HOME: config.path },
      { cols: 140, rows: 40 },
    );
    try {
      await client.waitFor(new RegExp(`You are in #${lounge}`));
      const before = client.raw().length;
      for (const [body] of CORPUS) {
        await b.request({ type: "send", room, cid: unique("c"), body } as never);
      }
      await client.waitFor(/␛\[31mred/);
      for (const [, shown] of CORPUS) await client.waitFor(shown);
      const raw = client.raw().slice(before);
      // None of the messages' sequences reached the terminal.
      for (const injected of [
        "\x1b]0;pwned",
        "\x1b[Hwiped",
        "\x1b]8;;https://evil",
        "\x1b[31mred",
      ]) {
        expect(raw.includes(injected)).toBe(false);
      }
      expect(client.screen.text()).not.toContain("javascript:alert(1) one");

      // A mention is a whole @name: an address or a longer name rings no bell; @name does.
      const bells = client.screen.bells;
      const me = alice.user.name;
      await b.request({
        type: "send",
        room,
        cid: unique("c"),
        body: `mail foo@${me}.com or @${me}x`,
      } as never);
      await client.waitFor(new RegExp(`or @${me}x`));
      expect(client.screen.bells).toBe(bells);
      await b.request({ type: "send", room, cid: unique("c"), body: `(@${me}) look` } as never);
      await client.waitFor(new RegExp(`\\(@${me}\\) look`));
      expect(client.screen.bells).toBe(bells + 1);

      // @name completes with Tab.
      client.type(`hi @${bob.user.name.slice(0, 4)}\t`);
      await client.waitFor(new RegExp(`› hi @${bob.user.name}\\s*$`, "m"));
    } finally {
      client.proc.kill();
      await b.close();
      await server.close();
    }
  });
});
