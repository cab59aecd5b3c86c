/**
 * A second real IRC client: irssi 1.4 in a pseudo-terminal, set up by its config file (SASL
 * PLAIN, autojoin), typed at like a person, its channel read back from its autolog. It has
 * neither echo-message nor chathistory, so it shows what an older client gets.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { api, connect, register, type TestSocket, unique } from "../support/client.ts";
import { tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { type IrcServer, startIrcServer } from "./fixture.ts";

setDefaultTimeout(TEST_TIMEOUT_MS * 2);

const IRSSI = Bun.which("irssi");
// CI installs it (.ci/run); elsewhere a missing client skips this file rather than failing it.
const describeIrssi = IRSSI || process.env.CI ? describe : describe.skip;
const PASSWORD = "irssi-pass-1";

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

function config(port: number, name: string, channel: string, logs: string): string {
  return `
servers = (
  { address = "127.0.0.1"; chatnet = "parley"; port = "${port}"; use_tls = "no"; autoconnect = "yes"; }
);
chatnets = {
  parley = {
    type = "IRC";
    sasl_mechanism = "PLAIN";
    sasl_username = "${name}";
    sasl_password = "${PASSWORD}";
  };
};
channels = ( { name = "${channel}"; chatnet = "parley"; autojoin = "yes"; } );
settings = {
  core = { real_name = "Test"; user_name = "${name}"; nick = "${name}"; };
  "fe-common/core" = { autolog = "yes"; autolog_path = "${logs}/$tag/$0.log"; };
};
`;
}

describeIrssi("irssi", () => {
  let server: IrcServer;
  const dir = tempDir("parley-irssi-");
  let proc: Bun.Subprocess | undefined;
  let web: TestSocket;
  let room: number;
  let channel: string;
  let name: string;
  let friend: string;
  let screen = "";

  /** The channel's autolog lines with a nick: "HH:MM <nick> text". */
  function said(nick: string, text: string): number {
    const logs = join(dir.path, "logs", "parley");
    if (!existsSync(logs)) return 0;
    const file = readdirSync(logs).find((f) => f.toLowerCase() === `${channel.toLowerCase()}.log`);
    if (!file) return 0;
    return readFileSync(join(logs, file), "utf8")
      .split("\n")
      .filter((l) => new RegExp(`<.?${nick}> ${text}$`).test(l)).length;
  }

  function type(text: string): void {
    (proc as Bun.Subprocess & { terminal: { write(s: string): void } }).terminal.write(text);
  }

  beforeAll(async () => {
    server = await startIrcServer();
    name = unique("irs");
    await register(server.url, name, PASSWORD);
    const other = await register(server.url);
    friend = other.user.name;
    const roomName = unique("room");
    const created = await api<{ room: { id: number } }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: roomName },
      other.token,
    );
    room = created.body.room.id;
    channel = `#${roomName}`;
    web = await connect(server.wsUrl, other.token);
    await web.request({ type: "join", room });
    await Bun.write(
      join(dir.path, "config"),
      config(server.ircPort, name, channel, join(dir.path, "logs")),
    );
  });

  afterAll(async () => {
    proc?.kill("SIGKILL");
    await proc?.exited;
    await web?.close();
    await server?.close();
    dir.remove();
  });

  it("logs in with SASL and autojoins, and the WebSocket client sees it join", async () => {
    proc = Bun.spawn([IRSSI as string, `--home=${dir.path}`], {
      terminal: {
        cols: 120,
        rows: 40,
        data(_t, bytes) {
          screen = (screen + new TextDecoder().decode(bytes)).slice(-20_000);
        },
      },
      env: { ...process.env, TERM: "xterm" },
    });
    await web
      .waitFor((f) => f.type === "notice" && f.event === "joined" && f.user.name === name, 30_000)
      .catch((err) => {
        throw new Error(`${err}\nirssi showed:\n${screen}`);
      });
  });

  it("exchanges messages with the WebSocket client", async () => {
    type(`/msg ${channel} hello from irssi\r`);
    const msg = (await web.waitFor(
      (f) => f.type === "msg" && f.body === "hello from irssi",
      30_000,
    )) as ServerFrameOf<"msg">;
    expect(msg.from.name).toBe(name);
    await web.request({ type: "send", room, cid: "w1", body: "hello irssi" });
    await until(() => said(friend, "hello irssi") === 1, "the message in irssi's log");
  });

  it("after a reconnect shows what it missed, once", async () => {
    type("/disconnect parley\r");
    await Bun.sleep(1000);
    await web.request({ type: "send", room, cid: "w2", body: "while irssi was away" });
    type("/connect parley\r");
    await until(() => said(friend, "while irssi was away") >= 1, "the missed message in irssi");
    await Bun.sleep(500);
    expect(said(friend, "while irssi was away")).toBe(1);
    expect(said(friend, "hello irssi")).toBe(1);
  });
});
