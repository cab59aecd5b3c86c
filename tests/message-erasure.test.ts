/**
 * Erasure on the embedded store: a deleted message's text leaves no trace in the SQLite file, its
 * WAL or a later backup.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { dirs, messageEventsSuite } from "./support/message-events.ts";
import { tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

messageEventsSuite();

describe("erasure on the embedded store", () => {
  it("leaves no trace of a deleted message's text in the database file or a later backup", async () => {
    const { SqliteStore } = await import("../db/store-sqlite.ts");
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, "erase.db");
    const store = new SqliteStore(path);
    const u = await store.createUser("eraser", "h", 1);
    if (u === "taken") throw new Error("taken");
    const r = await store.createRoom("erasing", "", u.id, 1);
    if (r === "taken") throw new Error("taken");
    const me = { id: u.id, name: u.name };
    const secret = "xylophone-secret-4711";
    const [m] = await store.append([{ room: r.id, sender: me, cid: "c1", body: secret, ts: 2 }]);
    if (!m?.ok || !m.message) throw new Error("not stored");
    await store.append([
      {
        room: r.id,
        sender: me,
        cid: "c2",
        body: `${secret} v2`,
        ts: 3,
        event: { kind: "edit", target: m.message.seq },
      },
      {
        room: r.id,
        sender: me,
        cid: "c3",
        body: "",
        ts: 4,
        event: { kind: "delete", target: m.message.seq },
      },
    ]);
    store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const backup = join(dir.path, "backup.db");
    store.db.query("VACUUM INTO ?").run(backup);
    await store.close();
    for (const file of [path, `${path}-wal`, backup]) {
      const bytes = await Bun.file(file)
        .bytes()
        .catch(() => new Uint8Array());
      expect(Buffer.from(bytes).includes(secret)).toBe(false);
    }
  });
});
