import { Database } from "bun:sqlite";
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PostgresStore } from "../db/store-postgres.ts";
import type { Message, ServerFrame } from "../src/protocol/index.ts";
import { connect, createRoom, register, type TestSocket } from "./support/client.ts";
import { type ChildServer, ROOT, spawnServer, startTestServer, tempDir } from "./support/server.ts";
import {
  assertReachable,
  createTestDatabase,
  POSTGRES_URL,
  postgresGate,
  runId,
} from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "server.ts"), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PARLEY_DB: "", DATABASE_URL: "" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Sends on the socket, four in flight, until stopped; records every ack. */
function traffic(ws: TestSocket, room: number, acked: Set<string>) {
  let running = true;
  let i = 0;
  async function lane(n: number) {
    while (running) {
      const cid = `b${n}-${i++}`;
      const reply = await ws.request<ServerFrame>({ type: "send", room, cid, body: cid }, 10_000);
      if (reply.type === "ack") acked.add(cid);
    }
  }
  const lanes = Promise.all([0, 1, 2, 3].map(lane));
  return {
    stop: async () => {
      running = false;
      await lanes;
    },
  };
}

function storedCids(path: string): Set<string> {
  const db = new Database(path, { readonly: true });
  try {
    return new Set(
      db
        .query<{ cid: string }, []>("SELECT client_id AS cid FROM messages")
        .all()
        .map((r) => r.cid),
    );
  } finally {
    db.close();
  }
}

function integrity(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()
      ?.integrity_check as string;
  } finally {
    db.close();
  }
}

async function liveServer(): Promise<{ dir: string; db: string; server: ChildServer }> {
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const db = join(dir.path, "live", "parley.db");
  const server = await spawnServer({ db, extraArgs: ["--rate", "100000", "--burst", "100000"] });
  cleanup.push(() => server.kill());
  return { dir: dir.path, db, server };
}

describe("parley-server backup and restore (SQLite)", () => {
  it("backs up during traffic to a copy that passes integrity_check and holds every message acked before it began", async () => {
    const { dir, db, server } = await liveServer();
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const upload = await fetch(`${server.url}/api/rooms/${room}/files?name=notes.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "text/plain" },
      body: "the uploaded file",
    });
    expect(upload.status).toBe(201);
    const ws = await connect(server.wsUrl, alice.token);
    const acked = new Set<string>();
    const sending = traffic(ws, room, acked);
    while (acked.size < 200) await Bun.sleep(5);

    const ackedBefore = new Set(acked);
    const file = join(dir, "backups", "parley-backup.db");
    const made = await run(["backup", "--to", file, "--db", db]);
    const ackedDuring = acked.size;
    await Bun.sleep(100);
    await sending.stop();
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(made.stdout).toContain("1 new files");
    expect(acked.size).toBeGreaterThan(ackedDuring - 1);

    expect(integrity(file)).toBe("ok");
    const restoredDb = join(dir, "restored", "parley.db");
    const restored = await run(["restore", "--from", file, "--db", restoredDb]);
    expect(restored.code).toBe(0);
    expect(integrity(restoredDb)).toBe("ok");
    const cids = storedCids(restoredDb);
    for (const cid of ackedBefore) expect(cids.has(cid)).toBe(true);

    // The restored deployment serves the messages and the file.
    await server.kill();
    const again = await spawnServer({ db: restoredDb });
    cleanup.push(() => again.kill());
    const history = await fetch(`${again.url}/api/rooms/${room}/messages?after=0&limit=5`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(((await history.json()) as { messages: Message[] }).messages).toHaveLength(5);
    const { file: shared } = (await upload.json()) as { file: { id: string } };
    const download = await fetch(`${again.url}/api/files/${shared.id}`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(await download.text()).toBe("the uploaded file");
  });

  it("refuses to restore over a database a running server has open, and changes nothing", async () => {
    const { dir, db, server } = await liveServer();
    await register(server.url);
    const file = join(dir, "b.db");
    expect((await run(["backup", "--to", file, "--db", db])).code).toBe(0);
    const alice = await register(server.url);
    const refused = await run(["restore", "--from", file, "--db", db]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("in use by a running server");
    // The newer account is still there: the live database was not replaced.
    const login = await fetch(`${server.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: alice.user.name, password: "correct horse" }),
    });
    expect(login.status).toBe(200);
    // Once the server is stopped, the same restore goes through.
    await server.stop();
    expect((await run(["restore", "--from", file, "--db", db])).code).toBe(0);
  });

  it("refuses a damaged backup before touching anything", async () => {
    const { dir, db, server } = await liveServer();
    await register(server.url);
    const file = join(dir, "b.db");
    expect((await run(["backup", "--to", file, "--db", db])).code).toBe(0);
    await server.stop();
    const bytes = await Bun.file(file).bytes();
    bytes.fill(0x55, 4096, 8192);
    writeFileSync(file, bytes);
    const target = join(dir, "elsewhere", "parley.db");
    const refused = await run(["restore", "--from", file, "--db", target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("damaged");
    expect(existsSync(target)).toBe(false);
  });

  it("refuses to overwrite an existing backup, and asks for --to", async () => {
    const { dir, db } = await liveServer();
    const file = join(dir, "b.db");
    expect((await run(["backup", "--to", file, "--db", db])).code).toBe(0);
    const again = await run(["backup", "--to", file, "--db", db]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("exists");
    expect((await run(["backup", "--db", db])).code).toBe(2);
  });
});

describe("backup and restore (PostgreSQL, pg_dump and pg_restore)", async () => {
  const pg = await postgresGate();
  it.skipIf(pg.skip)(
    "restores a pg_dump into a fresh database that serves every message",
    async () => {
      assertReachable("PostgreSQL", pg);
      const source = await createTestDatabase();
      cleanup.push(() => source.drop());
      const server = await startTestServer(
        {},
        { store: () => PostgresStore.open({ url: source.url }) },
      );
      cleanup.push(() => server.close());
      const alice = await register(server.url);
      const room = await createRoom(server.url, alice.token);
      const ws = await connect(server.wsUrl, alice.token);
      for (let i = 0; i < 20; i++) {
        await ws.request({ type: "send", room, cid: `pg${i}`, body: `pg ${i}` });
      }
      await ws.close();

      // The procedure in docs/operations.md, step by step.
      const dump = join(server.dir, "parley.dump");
      const dumped = Bun.spawnSync(["pg_dump", "--format=custom", "--file", dump, source.url]);
      expect(dumped.stderr.toString()).toBe("");
      expect(dumped.exitCode).toBe(0);
      const target = `parley_restore_${runId()}`;
      const admin = new Bun.SQL({ url: POSTGRES_URL, max: 1 });
      await admin`CREATE DATABASE ${admin(target)}`;
      cleanup.push(async () => {
        await admin`DROP DATABASE IF EXISTS ${admin(target)} WITH (FORCE)`;
        await admin.close();
      });
      const targetUrl = new URL(POSTGRES_URL);
      targetUrl.pathname = `/${target}`;
      const restored = Bun.spawnSync([
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "--dbname",
        targetUrl.toString(),
        dump,
      ]);
      expect(restored.stderr.toString()).toBe("");
      expect(restored.exitCode).toBe(0);

      const copy = await startTestServer(
        {},
        { store: () => PostgresStore.open({ url: targetUrl.toString() }) },
      );
      cleanup.push(() => copy.close());
      const page = await fetch(`${copy.url}/api/rooms/${room}/messages?after=0&limit=50`, {
        headers: { authorization: `Bearer ${alice.token}` },
      });
      const { messages } = (await page.json()) as { messages: Message[] };
      expect(messages.map((m) => m.cid)).toEqual(Array.from({ length: 20 }, (_, i) => `pg${i}`));
    },
  );
});
