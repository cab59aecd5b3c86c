/**
 * SQLite's full-text index as the append writes it (migration 011): a batch's messages in one
 * statement, a contentless index whose terms edits, erasures and deleted rooms take back out.
 * The contract test covers search itself on both stores; this proves the index stays sound
 * under the batch shapes the commit queue makes (many rooms, rooms out of order, repeats).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { sqliteMigrations } from "../db/migrations.ts";
import type { AppendRequest } from "../db/store.ts";
import { migrate, openSqlite, SqliteStore } from "../db/store-sqlite.ts";
import type { UserRef } from "../src/protocol/index.ts";
import { tempDir } from "./support/server.ts";

const T0 = 1_800_000_000_000;
const dir = tempDir("parley-search-index-");
let store: SqliteStore;
let alice: UserRef;
const rooms: number[] = [];

beforeAll(async () => {
  store = new SqliteStore(join(dir.path, "parley.db"));
  const u = await store.createUser("alice", "h", T0);
  if (u === "taken") throw new Error("taken");
  alice = { id: u.id, name: u.name };
  for (let i = 0; i < 5; i++) {
    const r = await store.createRoom(`room${i}`, "", u.id, T0);
    if (r === "taken") throw new Error("taken");
    rooms.push(r.id);
  }
});
afterAll(async () => {
  await store.close();
  dir.remove();
});

let cid = 0;
function send(room: number, body: string, extra: Partial<AppendRequest> = {}): AppendRequest {
  return { room, sender: alice, cid: `c${cid++}`, body, ts: T0 + cid, ...extra };
}

/** FTS5's own check of the index's structure; throws when it is corrupt. */
function integrityCheck(): void {
  store.db.run("INSERT INTO message_search(message_search) VALUES ('integrity-check')");
}

async function found(word: string): Promise<string[]> {
  const hits = await store.search(alice.id, { terms: [word], limit: 100 });
  return hits.map((h) => `${rooms.indexOf(h.room)}:${h.seq}`).sort();
}

describe("the full-text index written by the append", () => {
  it("indexes every message of a batch over several rooms, rooms in descending order", async () => {
    const batch = [4, 3, 2, 1, 0, 4, 0].map((i) => send(rooms[i] as number, `kestrel ${i}`));
    batch.push(
      send(rooms[0] as number, ""),
      send(rooms[1] as number, JSON.stringify({ v: 1, c: "kestrel" }), { sealed: true }),
    );
    const results = await store.append(batch);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await found("kestrel")).toEqual(["0:1", "0:2", "1:1", "2:1", "3:1", "4:1", "4:2"]);
    integrityCheck();
  });

  it("does not index a retried send twice", async () => {
    const again = send(rooms[2] as number, "osprey");
    await store.append([again]);
    const [retry] = await store.append([again, send(rooms[2] as number, "osprey too")]);
    expect(retry).toMatchObject({ ok: true, duplicate: true });
    expect(await found("osprey")).toHaveLength(2);
    integrityCheck();
  });

  it("takes an edited or erased message's old words out, and a deleted room's", async () => {
    const room = rooms[3] as number;
    const [first, second] = await store.append([send(room, "heron one"), send(room, "heron two")]);
    if (!first?.ok || !second?.ok || !first.message || !second.message) throw new Error("append");
    await store.append([
      send(room, "egret now", { event: { kind: "edit", target: first.message.seq } }),
      send(room, "", { event: { kind: "delete", target: second.message.seq } }),
    ]);
    expect(await found("heron")).toEqual([]);
    expect(await found("egret")).toEqual([`3:${first.message.seq}`]);
    integrityCheck();
    store.db.run("DELETE FROM rooms WHERE id = ?", [room]);
    expect(await found("egret")).toEqual([]);
    expect(await found("kestrel")).not.toContain("3:1");
    integrityCheck();
  });

  it("cuts a long message's snippet around the first word found", async () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    words[30] = "Pélican";
    await store.append([send(rooms[1] as number, words.join(" "))]);
    const [hit] = await store.search(alice.id, { terms: ["pelic"], limit: 1 });
    expect(hit?.snippet).toBe(`…${words.slice(24, 40).join(" ")}`);
    const [short] = await store.search(alice.id, { terms: ["kestrel"], room: rooms[4], limit: 1 });
    expect(short?.snippet).toBe("kestrel 4");
  });
});

describe("migration 011 on a database that has messages", () => {
  it("rebuilds the index from the stored text, and edits after it take the old words out", async () => {
    const path = join(dir.path, "upgraded.db");
    const old = openSqlite(path);
    migrate(
      old,
      sqliteMigrations.filter((m) => m.version <= 10),
    );
    old.run(
      "INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('bo', 'bo', 'h', 1)",
    );
    old.run(
      "INSERT INTO rooms (name, name_key, topic, created_by, created_at) VALUES ('r', 'r', '', 1, 1)",
    );
    old.run("INSERT INTO members (room_id, user_id, joined_at) VALUES (1, 1, 1)");
    const insert = old.query(
      "INSERT INTO messages (room_id, seq, sender_id, client_id, body, ts) VALUES (1, ?, 1, ?, ?, 1)",
    );
    insert.run(1, "a", "puffin before");
    insert.run(2, "b", "puffin erased");
    old.run("UPDATE messages SET body = '', deleted_at = 2 WHERE seq = 2");
    old.run("UPDATE rooms SET last_seq = 2");
    old.close();
    const upgraded = new SqliteStore(path);
    try {
      const bo = { id: 1, name: "bo" };
      const find = async (word: string) =>
        (await upgraded.search(1, { terms: [word], limit: 10 })).map((h) => h.seq);
      expect(await find("puffin")).toEqual([1]);
      await upgraded.append([
        {
          room: 1,
          sender: bo,
          cid: "e",
          body: "gannet",
          ts: 3,
          event: { kind: "edit", target: 1 },
        },
      ]);
      expect(await find("puffin")).toEqual([]);
      expect(await find("gannet")).toEqual([1]);
      upgraded.db.run("INSERT INTO message_search(message_search) VALUES ('integrity-check')");
    } finally {
      await upgraded.close();
    }
  });
});
