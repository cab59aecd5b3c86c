import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { SqliteStore } from "../db/store-sqlite.ts";
import { api } from "./support/client.ts";
import { ROOT, spawnServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

async function run(script: string, args: string[], stdin = "") {
  const proc = Bun.spawn([process.execPath, join(ROOT, "db", script), ...args], {
    stdin: new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { stdout, code };
}

function dbFile() {
  const dir = tempDir();
  dirs.push(dir);
  return join(dir.path, "parley.db");
}

describe("db:seed", () => {
  it("creates demo users, rooms and messages, prints the logins, and is safe to run twice", async () => {
    const db = dbFile();
    const first = await run("seed.ts", ["--db", db]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('password "parley-demo"');
    expect(first.stdout).toContain("alice");
    expect((await run("seed.ts", ["--db", db])).code).toBe(0);

    const server = await spawnServer({ db });
    try {
      const login = await api<{ token: string }>(server.url, "POST", "/api/login", {
        username: "alice",
        password: "parley-demo",
      });
      expect(login.status).toBe(200);
      const rooms = await api<{ rooms: { id: number; name: string; joined: boolean }[] }>(
        server.url,
        "GET",
        "/api/rooms",
        undefined,
        login.body.token,
      );
      expect(rooms.body.rooms.map((r) => r.name).sort()).toEqual(["general", "help", "random"]);
      const general = rooms.body.rooms.find((r) => r.name === "general") as { id: number };
      const history = await api<{ messages: unknown[] }>(
        server.url,
        "GET",
        `/api/rooms/${general.id}/messages`,
        undefined,
        login.body.token,
      );
      expect(history.body.messages.length).toBe(5);
    } finally {
      await server.stop();
    }
  });
});

describe("db:reset", () => {
  async function users(db: string) {
    const store = new SqliteStore(db);
    const found = await store.findUser("alice");
    await store.close();
    return found ? 1 : 0;
  }

  it("asks before wiping, and changes nothing on no or no answer", async () => {
    const db = dbFile();
    await run("seed.ts", ["--db", db]);
    const no = await run("reset.ts", ["--db", db], "n\n");
    expect(no.code).toBe(1);
    expect(no.stdout).toContain("Continue? [y/N]");
    expect(await users(db)).toBe(1);
    expect((await run("reset.ts", ["--db", db], "")).code).toBe(1);
    expect(await users(db)).toBe(1);
  });

  it("wipes on yes, or with --yes, leaving an empty migrated database", async () => {
    const db = dbFile();
    await run("seed.ts", ["--db", db]);
    expect((await run("reset.ts", ["--db", db], "y\n")).code).toBe(0);
    expect(await users(db)).toBe(0);
    await run("seed.ts", ["--db", db]);
    expect((await run("reset.ts", ["--db", db, "--yes"])).code).toBe(0);
    expect(await users(db)).toBe(0);
  });
});
