import { Database } from "bun:sqlite";
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { AppendRequest, AppendResult } from "../db/store.ts";
import { SqliteStore } from "../db/store-sqlite.ts";
import { createLogger } from "../src/log/log.ts";
import { CommitQueue } from "../src/server/commit-queue.ts";
import { connect, createRoom, register } from "./support/client.ts";
import { startTestServer, type TestServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** The real store, counting the transactions it is asked for. */
class CountingStore extends SqliteStore {
  batches: number[] = [];
  override append(batch: readonly AppendRequest[]) {
    this.batches.push(batch.length);
    return super.append(batch);
  }
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(holdMs?: number, holdBatch?: number) {
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const path = join(dir.path, "parley.db");
  const store = new CountingStore(path);
  cleanup.push(() => store.close());
  const user = (await store.createUser("alice", "hash", 1)) as { id: number; name: string };
  const room = (await store.createRoom("general", "", user.id, 1)) as { id: number };
  const queue = new CommitQueue({ store, log: createLogger("silent"), holdMs, holdBatch });
  const request = (i: number): AppendRequest => ({
    room: room.id,
    sender: { id: user.id, name: "alice" },
    cid: `c${i}`,
    body: `m${i}`,
    ts: i,
  });
  const send = (i: number) =>
    new Promise<AppendResult | "failed">((resolve) => queue.submit(request(i), resolve));
  return { path, store, queue, request, send };
}

const seqOf = (r: AppendResult | "failed") =>
  r !== "failed" && r.ok && r.message ? r.message.seq : 0;

/** Submits sends 1..count, each in a loop turn of its own, as frames read one turn apart. */
async function trickle(send: (i: number) => Promise<AppendResult | "failed">, count: number) {
  const answers: Promise<AppendResult | "failed">[] = [];
  for (let i = 1; i <= count; i++) {
    answers.push(send(i));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Promise.all(answers);
}

describe("group commit", () => {
  it("stores sends that arrive together in one transaction, and answers each only after it is durable", async () => {
    const { path, store, queue, request } = await setup();
    const reader = new Database(path, { readonly: true });
    cleanup.push(() => reader.close());
    const storedWhenAnswered: boolean[] = [];
    const results = await Promise.all(
      Array.from(
        { length: 500 },
        (_, i) =>
          new Promise<AppendResult | "failed">((resolve) => {
            queue.submit(request(i), (result) => {
              // Another connection sees the row: it was committed before this callback ran.
              storedWhenAnswered.push(
                reader.query("SELECT 1 FROM messages WHERE client_id = ?").get(`c${i}`) !== null,
              );
              resolve(result);
            });
          }),
      ),
    );
    expect(store.batches).toEqual([500]);
    expect(storedWhenAnswered.every(Boolean)).toBe(true);
    expect(results.map((r) => (r !== "failed" && r.ok && r.message ? r.message.seq : 0))).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
  });

  it("splits a backlog into bounded batches, in order", async () => {
    const { store, request } = await setup();
    const queue = new CommitQueue({ store, log: createLogger("silent"), maxBatch: 100 });
    const seqs: number[] = [];
    await Promise.all(
      Array.from(
        { length: 250 },
        (_, i) =>
          new Promise<void>((resolve) =>
            queue.submit(request(i), (r) => {
              if (r !== "failed" && r.ok && r.message) seqs.push(r.message.seq);
              resolve();
            }),
          ),
      ),
    );
    expect(store.batches).toEqual([100, 100, 50]);
    expect(seqs).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it("answers every send of a failed transaction with failed, and refuses new sends when full", async () => {
    const { store, request } = await setup();
    const queue = new CommitQueue({ store, log: createLogger("silent"), maxPending: 3 });
    await store.setReadOnly(true);
    const answers = await Promise.all(
      [0, 1, 2].map(
        (i) => new Promise((resolve) => expect(queue.submit(request(i), resolve)).toBe(true)),
      ),
    );
    expect(answers).toEqual(["failed", "failed", "failed"]);
    for (let i = 0; i < 3; i++) queue.submit(request(10 + i), () => {});
    expect(queue.submit(request(99), () => {})).toBe(false);
    await queue.close();
  });
});

describe("holding a group commit while commits come back to back", () => {
  it("commits sends that trickle in right after a commit in one transaction instead of one each", async () => {
    const held = await setup(10_000, 10);
    await held.send(0);
    const seqs = (await trickle(held.send, 10)).map(seqOf);
    // The hold ends when the 10th send is queued, not at its 10 s deadline.
    expect(held.store.batches).toEqual([1, 10]);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));

    const unheld = await setup(0);
    await unheld.send(0);
    await trickle(unheld.send, 10);
    expect(unheld.store.batches).toEqual(Array.from({ length: 11 }, () => 1));
  });

  it("never holds a send that follows a quiet spell", async () => {
    // Deadline an hour away: the first send (no commit before it) must not wait for it.
    const { store, send } = await setup(3_600_000);
    expect(seqOf(await send(1))).toBe(1);
    expect(store.batches).toEqual([1]);
  });

  it("commits a lone held send at its deadline, with nothing else arriving", async () => {
    const { store, send } = await setup(100, 64);
    await send(0);
    const asked = performance.now();
    expect(seqOf(await send(1))).toBe(2);
    // Held (the previous commit had just ended) and then committed by the deadline alone.
    expect(performance.now() - asked).toBeGreaterThanOrEqual(90);
    expect(store.batches).toEqual([1, 1]);
  });

  it("commits held sends at once when the queue closes", async () => {
    const { store, queue, send } = await setup(3_600_000);
    await send(0);
    const answer = send(1);
    await new Promise((resolve) => setImmediate(resolve));
    await queue.close();
    expect(seqOf(await answer)).toBe(2);
    expect(store.batches).toEqual([1, 1]);
  });
});

describe("a database that refuses writes", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("gets UNAVAILABLE and no ack, and sends work again once it recovers", async () => {
    server = await startTestServer();
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const ws = await connect(server.wsUrl, alice.token);
    const store = server.store as SqliteStore;
    await store.setReadOnly(true);
    const refused = await ws.request({ type: "send", room, cid: "ro-1", body: "is anyone there" });
    expect(refused).toMatchObject({ type: "error", code: "UNAVAILABLE" });
    expect(ws.messages(room)).toEqual([]);
    await store.setReadOnly(false);
    const retried = await ws.request({ type: "send", room, cid: "ro-1", body: "is anyone there" });
    expect(retried).toMatchObject({ type: "ack", seq: 1, duplicate: false });
    await ws.close();
  });
});
