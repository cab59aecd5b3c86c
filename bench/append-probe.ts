/**
 * The store's append path alone, PostgreSQL against SQLite: `store.append` in batches of the
 * shape a busy node commits (32 messages over 8 rooms), one batch at a time, through the real
 * stores on fresh databases. No server, no sockets: what is left is the transaction itself.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../db/store.ts";
import { PostgresStore } from "../db/store-postgres.ts";
import { SqliteStore } from "../db/store-sqlite.ts";

const BATCH = 32;
const ROOMS = 8;

/** Messages per second through `store.append`, `batches` batches one after another. */
async function appendRate(store: Store, batches: number): Promise<number> {
  const user = await store.createUser(`probe${process.pid}`, "h", 1);
  if (user === "taken") throw new Error("append probe: user exists");
  const rooms: number[] = [];
  for (let i = 0; i < ROOMS; i++) {
    const room = await store.createRoom(`probe${i}`, "", user.id, 1);
    if (room === "taken") throw new Error("append probe: room exists");
    rooms.push(room.id);
  }
  const sender = { id: user.id, name: user.name };
  let n = 0;
  const batch = () =>
    Array.from({ length: BATCH }, (_, i) => ({
      room: rooms[i % ROOMS] as number,
      sender,
      cid: `c${n++}`,
      body: "x".repeat(100),
      ts: 1,
    }));
  for (let i = 0; i < 20; i++) await store.append(batch()); // warm-up: plans, caches
  n = 0;
  const started = performance.now();
  for (let i = 0; i < batches; i++) await store.append(batch());
  return (batches * BATCH) / ((performance.now() - started) / 1000);
}

export interface AppendProbe {
  postgres: number;
  sqlite: number;
}

export async function probeAppends(databaseUrl: string, batches: number): Promise<AppendProbe> {
  const pg = await PostgresStore.open({ url: databaseUrl });
  let postgres: number;
  try {
    postgres = await appendRate(pg, batches);
  } finally {
    await pg.close();
  }
  const dir = mkdtempSync(join(tmpdir(), "parley-append-"));
  const lite = new SqliteStore(join(dir, "probe.db"));
  try {
    return { postgres, sqlite: await appendRate(lite, batches) };
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
