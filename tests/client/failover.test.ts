import { afterAll, afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { Connection, type Status } from "../../src/client-core/connection.ts";
import type { Message } from "../../src/protocol/index.ts";
import {
  connect,
  createRoom,
  joinRoom,
  register,
  storedBodies,
  unique,
} from "../support/client.ts";
import { type ChildServer, spawnServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { runParley, spawnTail } from "./cli.ts";
import { GatedClock, until } from "./gated-clock.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/**
 * A port nothing listens on right now, for the node started later. Another process could take
 * it in between; on a test machine that is rare enough, and the failure would be loud.
 */
function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

// SQLite is single-node, so "two nodes of one deployment" is node A on one port, killed, and
// node B on another port over the same database file: what a client sees when its node dies and
// another takes over the same data.
describe("a client given several server URLs", () => {
  const dir = tempDir();
  const children: ChildServer[] = [];
  const open: Connection[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });
  afterAll(() => dir.remove());

  async function node(db: string, port?: number): Promise<ChildServer> {
    const server = await spawnServer({ db, ...(port === undefined ? {} : { port }) });
    children.push(server);
    return server;
  }

  it("should move to the next node when its node dies, resume by seq there, and lose nothing", async () => {
    const db = join(dir.path, "failover.db");
    const a = await node(db);
    const portB = freePort();
    const urlB = `http://127.0.0.1:${portB}`;
    const alice = await register(a.url);
    const bob = await register(a.url);
    const name = unique("r");
    const room = await createRoom(a.url, alice.token, name);
    await joinRoom(a.url, bob.token, room);

    const clock = new GatedClock();
    const conn = new Connection({ server: [a.url, urlB], token: alice.token, clock });
    open.push(conn);
    const messages: Message[] = [];
    const statuses: Status[] = [];
    const delivered: string[] = [];
    conn.on("message", (m) => messages.push(m));
    conn.on("status", (s) => statuses.push(s));
    conn.on("delivered", (item) => delivered.push(item.body));
    conn.start();
    await conn.join(name);
    expect(conn.server).toBe(a.url);
    expect(statuses.at(-1)).toMatchObject({ kind: "connected", server: a.url });

    const bobOnA = await connect(a.wsUrl, bob.token);
    await bobOnA.request({ type: "send", room, cid: "b0", body: "bob on A" });
    conn.send(room, "alice on A");
    await until(() => messages.length === 2, "the messages on node A");

    clock.held = true; // the reconnect waits until node B is up
    await a.kill();
    await until(() => statuses.some((s) => s.kind === "reconnecting"), "the reconnecting status");
    expect(statuses.find((s) => s.kind === "reconnecting")).toMatchObject({ server: urlB });
    conn.send(room, "alice offline");

    const b = await node(db, portB);
    expect(b.url).toBe(urlB);
    const bobOnB = await connect(b.wsUrl, bob.token); // the same session token works on B
    for (const n of [1, 2, 3]) {
      await bobOnB.request({ type: "send", room, cid: `b${n}`, body: `bob on B ${n}` });
    }

    clock.release();
    await until(() => delivered.length === 2, "the offline message to be delivered");
    await until(() => messages.length === 6, "every message to arrive");
    expect(conn.server).toBe(urlB);
    expect(messages.map((m) => m.body)).toEqual([
      "bob on A",
      "alice on A",
      "bob on B 1",
      "bob on B 2",
      "bob on B 3",
      "alice offline",
    ]);
    // Seq 1 is bob's join, a stored event of the room's log; the messages follow it gap-free.
    expect(messages.map((m) => m.seq)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(statuses.find((s) => s.kind === "back-online")).toEqual({
      kind: "back-online",
      caughtUp: 3,
      server: urlB,
    });
    expect(await storedBodies(b.url, alice.token, room)).toEqual(messages.map((m) => m.body));
  });

  it("should keep a tail running across the move, and remember both nodes at login", async () => {
    const db = join(dir.path, "scripts.db");
    const config = tempDir("parley-config-");
    const env = { ...process.env, XDG_CONFIG_HOME: config.path };
    try {
      const a = await node(db);
      const urlB = `http://127.0.0.1:${freePort()}`;
      const user = unique("bot");
      const account = await register(a.url, user, "correct horse");
      const room = unique("r");
      await createRoom(a.url, account.token, room);

      const login = await runParley(
        ["login", "--server", `${a.url},${urlB}`, "--user", user, "--password-stdin"],
        env,
        "correct horse\n",
      );
      expect(login.code).toBe(0);
      const saved = await Bun.file(join(config.path, "parley", "session.json")).json();
      expect(saved.sessions[a.url].servers).toEqual([a.url, urlB]);

      // No --server from here on: the saved list is used.
      const tail = spawnTail(["--room", room, "--since", "0"], env);
      try {
        expect((await runParley(["send", "--room", room, "on A"], env)).code).toBe(0);
        expect((await tail.lines(1)).map((m) => m.body)).toEqual(["on A"]);

        await a.kill();
        await until(() => /reconnecting/.test(tail.stderr()), "tail to notice node A is gone");
        await node(db, Number(new URL(urlB).port));
        // send tries A first, finds nobody, and moves on to B.
        const sent = await runParley(["send", "--room", room, "on B"], env);
        expect(sent.code).toBe(0);
        const lines = await tail.lines(2);
        expect(lines.map((m) => [m.seq, m.body])).toEqual([
          [1, "on A"],
          [2, "on B"],
        ]);
        await until(() => tail.stderr().includes(`back online on ${urlB}`), "tail on node B");
      } finally {
        await tail.stop();
      }
    } finally {
      config.remove();
    }
  });

  it("should log in through the second node when the first does not answer", async () => {
    const db = join(dir.path, "login.db");
    const b = await node(db);
    const config = tempDir("parley-config-");
    try {
      const account = await register(b.url);
      const down = `http://127.0.0.1:${freePort()}`;
      const run = await runParley(
        [
          "login",
          "--server",
          down,
          "--server",
          b.url,
          "--user",
          account.user.name,
          "--password-stdin",
        ],
        { ...process.env, XDG_CONFIG_HOME: config.path },
        "correct horse\n",
      );
      expect(run.stderr).toBe(`Logged in to ${b.url} as ${account.user.name}.\n`);
      expect(run.code).toBe(0);
    } finally {
      config.remove();
    }
  });
});
