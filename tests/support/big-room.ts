/**
 * A server whose one room already holds thousands of messages, written through the bench
 * seeder (bench/seed.ts: the real SQLite store, rows in bulk) before the server opens the
 * database, so tests of far jumps do not send them one by one.
 */
import { join } from "node:path";
import { Seeder } from "../../bench/seed.ts";
import type { Account } from "./client.ts";
import { startTestServer, type TestServer, tempDir } from "./server.ts";

export interface BigRoom {
  server: TestServer;
  room: number;
  /** Two members of the room; `alice` wrote every seeded message. */
  alice: Account;
  bob: Account;
  close(): Promise<void>;
}

/** Message `seq` of a seeded room reads "message number SEQ" unless `body` says otherwise. */
export async function bigRoomServer(
  count: number,
  body: (seq: number) => string = (seq) => `message number ${seq}`,
): Promise<BigRoom> {
  const dir = tempDir("parley-big-");
  const path = join(dir.path, "parley.db");
  const seed = Seeder.sqlite(path);
  const [a, b] = await seed.users(2);
  if (!a || !b) throw new Error("seed: two users expected");
  const room = await seed.room([a, b]);
  seed.messages(room, a, count, body);
  await seed.close();
  const server = await startTestServer({ db: path, rate: 10_000, burst: 10_000 });
  const account = (u: typeof a): Account => ({
    user: { id: u.user, name: u.name },
    token: u.token,
  });
  return {
    server,
    room,
    alice: account(a),
    bob: account(b),
    async close() {
      await server.close();
      dir.remove();
    },
  };
}
