/**
 * A real IRC client against the gateway: weechat-headless (Debian's weechat 3.8), driven through
 * its FIFO, its channel read back from its own log file. It logs in with SASL, joins a room,
 * exchanges messages with a WebSocket client, and after a reconnect shows what it missed.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { api, connect, register, type TestSocket, unique } from "../support/client.ts";
import { tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { type IrcServer, startIrcServer } from "./fixture.ts";

setDefaultTimeout(TEST_TIMEOUT_MS * 2);

const WEECHAT = Bun.which("weechat-headless");
// CI installs it (.ci/run); elsewhere a missing client skips this file rather than failing it.
const describeWeechat = WEECHAT || process.env.CI ? describe : describe.skip;

/** No spaces, so it needs no quoting in weechat's commands. */
const PASSWORD = "weechat-pass-1";

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

class Weechat {
  readonly proc: Bun.Subprocess;
  readonly fifo: string;
  private output = "";

  constructor(
    readonly dir: string,
    port: number,
    name: string,
    channel: string,
  ) {
    this.fifo = join(dir, "fifo");
    const setup = [
      `/set fifo.file.path ${this.fifo}`,
      "/set fifo.file.enabled on",
      "/set logger.file.flush_delay 0",
      "/set logger.file.auto_log on",
      `/server add parley 127.0.0.1/${port} -notls`,
      "/set irc.server.parley.sasl_mechanism plain",
      `/set irc.server.parley.sasl_username ${name}`,
      `/set irc.server.parley.sasl_password ${PASSWORD}`,
      "/set irc.server.parley.sasl_fail disconnect",
      `/set irc.server.parley.nicks ${name}`,
      `/set irc.server.parley.username ${name}`,
      `/set irc.server.parley.autojoin ${channel}`,
      "/set irc.server.parley.autoreconnect off",
      "/connect parley",
    ].join(";");
    this.proc = Bun.spawn(
      [WEECHAT as string, "--dir", dir, "--stdout", "-P", "irc,fifo,logger", "-s", "-r", setup],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) this.output += decoder.decode(chunk);
    };
    collect(this.proc.stdout as ReadableStream<Uint8Array>).catch(() => {});
    collect(this.proc.stderr as ReadableStream<Uint8Array>).catch(() => {});
  }

  async command(line: string): Promise<void> {
    await until(() => existsSync(this.fifo), "weechat's FIFO");
    appendFileSync(this.fifo, `${line}\n`);
  }

  /** What weechat logged in the channel's buffer: "time\tnick\ttext" lines. */
  log(channel: string): string[] {
    const file = join(this.dir, "logs", `irc.parley.${channel.toLowerCase()}.weechatlog`);
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  }

  said(channel: string, nick: string, text: string): number {
    return this.log(channel).filter((l) => {
      const [, who, what] = l.split("\t");
      return who?.replace(/^[@+]/, "") === nick && what === text;
    }).length;
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.proc.exited;
  }

  dump(): string {
    return this.output;
  }
}

describeWeechat("weechat", () => {
  let server: IrcServer;
  const dir = tempDir("parley-weechat-");
  let client: Weechat;
  let web: TestSocket;
  let room: number;
  let channel: string;
  let name: string;

  beforeAll(async () => {
    server = await startIrcServer();
    name = unique("wee");
    const me = await register(server.url, name, PASSWORD);
    const friend = await register(server.url);
    const roomName = unique("room");
    const created = await api<{ room: { id: number } }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: roomName },
      friend.token,
    );
    room = created.body.room.id;
    channel = `#${roomName}`;
    web = await connect(server.wsUrl, friend.token);
    await web.request({ type: "join", room });
    // The weechat user is not a member yet: its autojoin JOINs the room.
    expect(me.user.name).toBe(name);
  });

  afterAll(async () => {
    await client?.stop();
    await web?.close();
    await server?.close();
    dir.remove();
  });

  it("logs in with SASL, joins the room, and its join reaches the WebSocket client", async () => {
    client = new Weechat(dir.path, server.ircPort, name, channel);
    const notice = await web
      .waitFor((f) => f.type === "notice" && f.event === "joined" && f.user.name === name, 30_000)
      .catch((err) => {
        throw new Error(`${err}\nweechat said:\n${client.dump()}`);
      });
    expect(notice).toMatchObject({ room });
    await until(() => client.log(channel).length > 0, "weechat's channel log");
  });

  it("sends a message the WebSocket client receives as an ordinary Parley message", async () => {
    await client.command(`irc.parley.${channel} *hello from weechat`);
    const msg = (await web.waitFor(
      (f) => f.type === "msg" && f.body === "hello from weechat",
      30_000,
    )) as ServerFrameOf<"msg">;
    expect(msg.from.name).toBe(name);
    expect(msg.seq).toBeGreaterThan(0);
  });

  it("shows a message from the WebSocket client", async () => {
    await web.request({ type: "send", room, cid: "w1", body: "hello weechat" });
    const friend = web.frames.find((f) => f.type === "hello") as ServerFrameOf<"hello">;
    await until(
      () => client.said(channel, friend.user.name, "hello weechat") === 1,
      "the message in weechat",
    );
  });

  it("after a reconnect shows what it missed, once", async () => {
    const friend = (web.frames.find((f) => f.type === "hello") as ServerFrameOf<"hello">).user.name;
    await client.command("irc.server.parley */disconnect");
    await web
      .waitFor(
        (f) => f.type === "presence" && f.user.name === name && f.status === "offline",
        30_000,
      )
      .catch(() => undefined);
    await Bun.sleep(500);
    await web.request({ type: "send", room, cid: "w2", body: "sent while you were away" });
    await web.request({ type: "send", room, cid: "w3", body: "and another" });
    await client.command("irc.server.parley */connect parley");
    await until(
      () => client.said(channel, friend, "and another") >= 1,
      "the missed messages in weechat",
    );
    await Bun.sleep(500);
    expect(client.said(channel, friend, "sent while you were away")).toBe(1);
    expect(client.said(channel, friend, "and another")).toBe(1);
    // Nothing seen before the disconnect is shown again.
    expect(client.said(channel, friend, "hello weechat")).toBe(1);
    expect(client.said(channel, name, "hello from weechat")).toBe(1);
  });
});
