import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Message } from "../src/protocol/index.ts";
import { api, connect, createRoom, register, unique } from "./support/client.ts";
import { type ChildServer, ROOT, spawnServer, tempDir } from "./support/server.ts";
import { waitFor } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS * 2);

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** The example bot as its own process, resolved once it says it is ready. */
async function startBot(env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, join(ROOT, "examples", "echo-bot.ts")], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const reader = proc.stdout.getReader();
  let seen = "";
  while (!seen.includes("echo-bot ready")) {
    const { value, done } = await reader.read();
    if (done)
      throw new Error(`bot did not start: ${seen}${await new Response(proc.stderr).text()}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  proc.stdout.pipeTo(new WritableStream()).catch(() => {});
  proc.stderr.pipeTo(new WritableStream()).catch(() => {});
  return proc;
}

async function history(base: string, token: string, room: number): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const page = await api<{ messages: Message[]; more: boolean }>(
      base,
      "GET",
      `/api/rooms/${room}/messages?after=${all.at(-1)?.seq ?? 0}&limit=200`,
      undefined,
      token,
    );
    all.push(...page.body.messages);
    if (!page.body.more) return all;
  }
}

describe("the example bot (examples/echo-bot.ts)", () => {
  it("answers each command once, across a server restart and its own, missing none", async () => {
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const db = join(dir.path, "parley.db");
    const servers: ChildServer[] = [];
    cleanup.push(async () => {
      for (const s of servers) await s.kill().catch(() => {});
    });
    let server = await spawnServer({ db });
    servers.push(server);
    const port = Number(new URL(server.url).port);

    const owner = await register(server.url);
    const room = await createRoom(server.url, owner.token, unique("r"));
    const made = await api<{ bot: { id: number } }>(
      server.url,
      "POST",
      "/api/bots",
      { name: unique("echo") },
      owner.token,
    );
    const issued = await api<{ token: string }>(
      server.url,
      "POST",
      `/api/bots/${made.body.bot.id}/tokens`,
      { rooms: [room] },
      owner.token,
    );
    const botEnv = {
      PARLEY_SERVER: server.url,
      PARLEY_BOT_TOKEN: issued.body.token,
      PARLEY_BOT_STATE: join(dir.path, "bot-state.json"),
    };
    let bot = await startBot(botEnv);
    cleanup.push(async () => {
      bot.kill("SIGKILL");
      await bot.exited;
    });

    let human = await connect(server.wsUrl, owner.token);
    await human.request({ type: "join", room });
    const say = async (text: string) => {
      const ack = await human.request({ type: "send", room, cid: unique("c"), body: text });
      expect(ack.type).toBe("ack");
    };
    const replies = async () =>
      (await history(server.url, owner.token, room))
        .filter((m) => m.from.id === made.body.bot.id)
        .map((m) => m.body);

    for (let i = 1; i <= 5; i++) await say(`!echo ${i}`);
    await say("just chatting, not a command");
    await waitFor(async () => (await replies()).length >= 5, "the first five answers", 30_000);

    // The server dies hard and comes back; the bot reconnects and resumes by itself.
    await server.kill();
    server = await spawnServer({ db, port });
    servers.push(server);
    human = await connect(server.wsUrl, owner.token);
    await human.request({ type: "join", room, after: 0 });
    for (let i = 6; i <= 10; i++) await say(`!echo ${i}`);
    await waitFor(async () => (await replies()).length >= 10, "answers after the restart", 30_000);

    // The bot dies hard with commands in flight, and misses none of them when it comes back.
    const inFlight = Promise.all([11, 12, 13].map((i) => say(`!echo ${i}`)));
    bot.kill("SIGKILL");
    await bot.exited;
    await inFlight;
    for (let i = 14; i <= 15; i++) await say(`!echo ${i}`);
    bot = await startBot(botEnv);
    await say("!ping");
    await waitFor(async () => (await replies()).length >= 16, "every answer", 30_000);
    // Give a repeated answer time to show up, if there were going to be one.
    await Bun.sleep(500);

    const answered = await replies();
    expect(answered).toEqual([...Array.from({ length: 15 }, (_, i) => String(i + 1)), "pong"]);
    // Every answer follows its command.
    const all = await history(server.url, owner.token, room);
    for (let i = 1; i <= 15; i++) {
      const asked = all.findIndex((m) => m.body === `!echo ${i}`);
      const answer = all.findIndex((m) => m.from.id === made.body.bot.id && m.body === String(i));
      expect(answer).toBeGreaterThan(asked);
    }
  });
});
