/**
 * How a store is built from its concept parts (db/store-parts.ts): every part's method is the
 * store's, called on the instance's own part, a subclass may override one and call super, and a
 * name defined twice is refused when the module loads.
 */
import { describe, expect, it } from "bun:test";
import { join } from "node:path";
import type { StoreParts } from "../db/store-parts.ts";
import { exposeParts } from "../db/store-parts.ts";
import { PostgresStore } from "../db/store-postgres.ts";
import { SqliteStore } from "../db/store-sqlite.ts";
import { tempDir } from "./support/server.ts";

function methodsOf(store: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(store.prototype)
    .filter((name) => name !== "constructor")
    .sort();
}

describe("a store built from parts", () => {
  it("offers the same methods on SQLite and PostgreSQL, besides each backend's own tool", () => {
    const sqlite = methodsOf(SqliteStore).filter((m) => m !== "setReadOnly");
    const postgres = methodsOf(PostgresStore).filter((m) => m !== "sql");
    expect(sqlite).toEqual(postgres);
    expect(sqlite).toContain("append");
    expect(sqlite).toContain("userSettings");
    expect(sqlite).toContain("close");
  });

  it("calls each instance's own part, and lets a subclass override a method and call super", async () => {
    const dir = tempDir("parley-parts-");
    class Counting extends SqliteStore {
      reads = 0;
      override async findRoom(id: number) {
        this.reads += 1;
        return super.findRoom(id);
      }
    }
    const a = new Counting(join(dir.path, "a.db"));
    const b = new SqliteStore(join(dir.path, "b.db"));
    try {
      const alice = await a.createUser("alice", "h", 1);
      if (alice === "taken") throw new Error("fresh database has users");
      const room = await a.createRoom("general", "", alice.id, 1);
      if (room === "taken") throw new Error("fresh database has rooms");
      expect((await a.findRoom(room.id))?.name).toBe("general");
      // createRoom reads the new room through its part: only the caller's call is counted.
      expect(a.reads).toBe(1);
      expect(await b.findRoom(room.id)).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
      dir.remove();
    }
  });

  it("refuses a method that two parts define", () => {
    class Named {
      findRoom() {}
    }
    class Twice {
      readonly parts = {} as StoreParts;
    }
    const parts = { accounts: Named, rooms: Named } as unknown as Parameters<typeof exposeParts>[1];
    expect(() => exposeParts(Twice, parts)).toThrow("Twice.findRoom is defined twice");
  });
});
