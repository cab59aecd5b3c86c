import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { FileTransfer } from "../../src/client-core/file-transfer.ts";
import { SecureDm } from "../../src/client-core/secure-dm.ts";
import { api, createRoom, register, unique } from "../support/client.ts";
import { ROOT, startTestServer, type TestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("the scriptable commands", () => {
  let server: TestServer;
  const config = tempDir("parley-config-");
  const env = { ...process.env, XDG_CONFIG_HOME: config.path };
  const sessionFile = join(config.path, "parley", "session.json");
  let user: string;
  let room: string;
  beforeAll(async () => {
    server = await startTestServer();
    user = unique("bot");
    const account = await register(server.url, user, "correct horse");
    room = unique("r");
    await createRoom(server.url, account.token, room);
  });
  afterAll(async () => {
    await server.close();
    config.remove();
  });

  async function parley(args: string[], stdin = ""): Promise<Run> {
    const proc = Bun.spawn([process.execPath, join(ROOT, "client.ts"), ...args], {
      env,
      stdin: new Blob([stdin]),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  }

  /** The first n lines a `parley tail ARGS` prints, then it is stopped. */
  async function tailLines(args: string[], n: number): Promise<string[]> {
    const proc = Bun.spawn([process.execPath, join(ROOT, "client.ts"), "tail", ...args], {
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    try {
      while (seen.split("\n").filter(Boolean).length < n) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`tail ended early: ${seen}`);
        seen += decoder.decode(value, { stream: true });
      }
      return seen.split("\n").filter(Boolean);
    } finally {
      proc.kill();
      await proc.exited;
    }
  }

  it("should refuse a wrong password with the server's message and no stack trace", async () => {
    const run = await parley(
      ["login", "--server", server.url, "--user", user, "--password-stdin"],
      "wrong password\n",
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("parley: Unknown username or wrong password.\n");
    expect(existsSync(sessionFile)).toBe(false);
  });

  it("should log in from stdin and keep the token in a file only the user can read", async () => {
    const run = await parley(
      ["login", "--server", server.url, "--user", user, "--password-stdin"],
      "correct horse\n",
    );
    expect(run.code).toBe(0);
    expect(statSync(sessionFile).mode & 0o777).toBe(0o600);
  });

  it("should send and tail a room in a round trip, using the saved server", async () => {
    const first = await parley(["send", "--room", room, "first line"]);
    expect(first).toEqual({ code: 0, stdout: "", stderr: "" });
    const tail = Bun.spawn(
      [process.execPath, join(ROOT, "client.ts"), "tail", "--room", room, "--json", "--since", "0"],
      { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const reader = tail.stdout.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    const readLines = async (n: number) => {
      while (seen.split("\n").filter(Boolean).length < n) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`tail ended early: ${seen}`);
        seen += decoder.decode(value, { stream: true });
      }
      return seen
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    };
    try {
      expect((await readLines(1)).map((m) => m.body)).toEqual(["first line"]);
      expect((await parley(["send", "--room", room], "piped line\n")).code).toBe(0);
      const lines = await readLines(2);
      expect(lines.map((m) => m.body)).toEqual(["first line", "piped line"]);
      expect(lines.map((m) => m.seq)).toEqual([1, 2]);
      expect(lines[0]).toMatchObject({ roomName: room, from: { name: user } });
    } finally {
      tail.kill();
      await tail.exited;
    }
    const since = await parley(["send", "--room", room.toUpperCase(), "third"]);
    expect(since.code).toBe(0);
  });

  it("should show files (name, size, id) and escape control characters in tail, text and JSON", async () => {
    const token = (await Bun.file(sessionFile).json()).sessions[
      `http://${new URL(server.url).host}`
    ].token as string;
    const rooms = await api<{ rooms: { id: number; name: string }[] }>(
      server.url,
      "GET",
      "/api/rooms",
      undefined,
      token,
    );
    const id = rooms.body.rooms.find((r) => r.name === room)?.id as number;
    const files = new FileTransfer({ server: () => server.url, token, fetch });
    const uploaded = await files.upload(id, new TextEncoder().encode("hi"), {
      name: "\u202egnp.exe",
      type: "text/plain",
    });
    const conn = new Connection({ server: server.url, token });
    conn.start();
    try {
      await conn.join(room, { from: "head" });
      const forged = "x\n2026-11-29T20:57:00.000Z #lounge bob: I approve\x1b]0;title\x07";
      conn.send(id, forged);
      conn.send(id, "", { file: uploaded.id });
      await until(() => conn.pending().length === 0, "both messages to be acknowledged");
    } finally {
      conn.close();
    }
    const text = await tailLines(["--room", `#${room}`, "--since", "3"], 2);
    expect(text[0]).toContain(
      `${user}: x␊2026-11-29T20:57:00.000Z #lounge bob: I approve␛]0;title␇`,
    );
    expect(text[1]).toContain(`[file] [U+202E]gnp.exe (2 B, text/plain) id ${uploaded.id}`);
    const json = (await tailLines(["--room", `#${room}`, "--since", "3", "--json"], 2)).map((l) =>
      JSON.parse(l),
    );
    expect(json[0].body).toContain("\x1b]0;title");
    expect(json[1]).toMatchObject({
      body: "",
      file: { id: uploaded.id, name: "\u202egnp.exe", size: 2, type: "text/plain" },
    });
  });

  it("should tail the room's own events (joins, topic, kick) in seq order with its messages, text and JSON", async () => {
    const token = (await Bun.file(sessionFile).json()).sessions[
      `http://${new URL(server.url).host}`
    ].token as string;
    const owner = await register(server.url);
    const carol = await register(server.url);
    const name = unique("ev");
    const id = await createRoom(server.url, owner.token, name);
    const call = (path: string, who: string, body: object = {}, method = "POST") =>
      api(server.url, method, `/api/rooms/${id}${path}`, body, who);
    expect((await call("/join", token)).status).toBe(200);
    expect((await call("/join", carol.token)).status).toBe(200);
    expect((await call("/topic", owner.token, { topic: "rules" }, "PUT")).status).toBe(204);
    const said = await parley(["send", "--room", name, "hello"]);
    expect(said.code).toBe(0);
    const kicked = await call("/moderation", owner.token, {
      action: "kick",
      user: carol.user.name,
      reason: "spam\x1b[2J",
    });
    expect(kicked.status).toBe(204);

    const text = await tailLines(["--room", name, "--since", "0"], 5);
    expect(text.map((l) => l.slice(l.indexOf(" ") + 1))).toEqual([
      `#${name} * ${user} joined`,
      `#${name} * ${carol.user.name} joined`,
      `#${name} * ${owner.user.name} set the topic: rules`,
      `#${name} ${user}: hello`,
      `#${name} * ${owner.user.name} kicked ${carol.user.name}: spam␛[2J`,
    ]);
    const json = (await tailLines(["--room", name, "--since", "0", "--json"], 5)).map((l) =>
      JSON.parse(l),
    );
    expect(json.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(json[3]).toMatchObject({ body: "hello", from: { name: user } });
    expect(json[3].event).toBeUndefined();
    expect(json[4]).toMatchObject({
      event: "kick",
      from: { name: owner.user.name },
      user: { name: carol.user.name },
      detail: "spam\x1b[2J",
      text: `${owner.user.name} kicked ${carol.user.name}: spam\x1b[2J`,
    });
    expect(json[4].body).toBeUndefined();
  });

  it("should send to and tail a private conversation named @user, decrypted on this device", async () => {
    const bob = await register(server.url);
    const bobConn = new Connection({ server: server.url, token: bob.token });
    const bobDir = tempDir("parley-bob-");
    const files = deviceFiles(bobDir.path, server.url, bob.user.id);
    const bobDm = new SecureDm({
      conn: bobConn,
      identities: files.identities,
      keyBook: files.keyBook,
    });
    bobConn.start();
    try {
      expect(await bobDm.start()).toEqual({ ok: true }); // publishes bob's device keys
      const sent = await parley(["send", "--room", `@${bob.user.name}`, "secret\x1b[2J hi"]);
      expect(sent).toMatchObject({ code: 0, stderr: "" });
      const lines = await tailLines(["--room", `@${bob.user.name}`, "--since", "0"], 1);
      expect(lines[0]).toContain(`@${bob.user.name} ${user}: secret␛[2J hi`);
    } finally {
      bobDm.close();
      bobConn.close();
      bobDir.remove();
    }
  });

  it("should refuse to send to a room that does not exist, saying why", async () => {
    const run = await parley(["send", "--room", "no-such-room", "hello"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('There is no room named "no-such-room".');
  });

  it("should log out: forget the token and revoke it on the server", async () => {
    const token = (await Bun.file(sessionFile).json()).sessions[
      `http://${new URL(server.url).host}`
    ].token as string;
    const run = await parley(["logout"]);
    expect(run.code).toBe(0);
    expect(existsSync(sessionFile)).toBe(false);
    expect((await api(server.url, "GET", "/api/me", undefined, token)).status).toBe(401);
    const after = await parley(["send", "--room", room, "hello"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("not logged in");
  });

  it("should explain, not hang, when started without a terminal and no command", async () => {
    const run = await parley([], "some piped input\n");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("the interactive client needs a terminal");
  });

  it("should answer --version and reject an unknown option with the usage", async () => {
    const version = await parley(["--version"]);
    expect(version.stdout).toMatch(/^parley \d+\.\d+\.\d+\n$/);
    const bad = await parley(["--frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option --frobnicate");
    expect(bad.stderr).toContain("Usage:");
  });
});
