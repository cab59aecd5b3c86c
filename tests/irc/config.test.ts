import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { DEFAULTS, PORT_OFF } from "../../src/server/config.ts";
import { parseConfig } from "../../src/server/config-parser.ts";
import { spawnServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { IrcTestClient } from "./irc-client.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const dir = tempDir("parley-irc-config-");
afterAll(() => dir.remove());

describe("IRC gateway configuration", () => {
  it("is off by default", () => {
    expect(DEFAULTS.ircPort).toBe(PORT_OFF);
    expect(DEFAULTS.ircTlsPort).toBe(PORT_OFF);
    const parsed = parseConfig([], {});
    expect(parsed.kind === "config" && parsed.config.ircPort).toBe(PORT_OFF);
  });

  it("takes --irc-port and PARLEY_IRC_PORT, the flag winning", () => {
    const fromEnv = parseConfig([], { PARLEY_IRC_PORT: "6667" });
    expect(fromEnv.kind === "config" && fromEnv.config.ircPort).toBe(6667);
    const both = parseConfig(["--irc-port", "0"], { PARLEY_IRC_PORT: "6667" });
    expect(both.kind === "config" && both.config.ircPort).toBe(0);
  });

  it("refuses a bad port, and a TLS port without a certificate", () => {
    expect(parseConfig(["--irc-port", "-1"], {})).toMatchObject({ kind: "error" });
    expect(parseConfig(["--irc-port", "70000"], {})).toMatchObject({ kind: "error" });
    expect(parseConfig(["--irc-tls-port", "6697"], {})).toEqual({
      kind: "error",
      message: "--irc-tls-port needs --tls-cert and --tls-key",
    });
  });

  it("prints the gateway's address when port 0 picked one, and answers there", async () => {
    const server = await spawnServer({
      db: join(dir.path, "p.db"),
      extraArgs: ["--irc-port", "0"],
    });
    try {
      expect(server.ircUrls).toHaveLength(1);
      const url = new URL(server.ircUrls[0] as string);
      expect(url.protocol).toBe("irc:");
      const c = await IrcTestClient.connect(Number(url.port));
      c.send("PING hello");
      expect((await c.command("PONG")).params[1]).toBe("hello");
      c.close();
    } finally {
      await server.stop();
    }
  });

  it("starts no gateway without the flag", async () => {
    const server = await spawnServer({ db: join(dir.path, "q.db") });
    try {
      expect(server.ircUrls).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
