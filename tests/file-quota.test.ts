/**
 * Upload quotas against a real server: bytes per day and in all, an upload rate, a free-disk
 * watermark, and the clean-up of files never shared and of partial files a cut upload left.
 */
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../src/log/log.ts";
import { DEFAULTS } from "../src/server/config.ts";
import { startServer } from "../src/server/server.ts";
import { connect, createRoom, register } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function upload(
  base: string,
  token: string,
  room: number,
  bytes: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
  name = "a.bin",
): Promise<{ status: number; code?: string; id?: string; retryAfter?: string | null }> {
  const res = await fetch(`${base}/api/rooms/${room}/files?name=${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: bytes,
  });
  const body = (await res.json()) as { code?: string; file?: { id: string } };
  return {
    status: res.status,
    ...(body.code ? { code: body.code } : {}),
    ...(body.file ? { id: body.file.id } : {}),
    retryAfter: res.headers.get("retry-after"),
  };
}

function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(n).map((_, i) => (i * 7 + seed) & 0xff);
}

function stream(n: number, seed: number): ReadableStream<Uint8Array> {
  const all = bytes(n, seed);
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < all.length; i += 4096) c.enqueue(all.slice(i, i + 4096));
      c.close();
    },
  });
}

const MIB = 1024 * 1024;

describe("upload quotas", () => {
  it("refuses uploads past the day's bytes with QUOTA_EXCEEDED, declared or streamed, storing nothing", async () => {
    server = await startTestServer({ uploadBytesPerDay: 5 * MIB, uploadsPerMinute: 100 });
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    for (let i = 0; i < 2; i++) {
      expect((await upload(server.url, alice.token, room, bytes(2 * MIB, i))).status).toBe(201);
    }
    const declared = await upload(server.url, alice.token, room, bytes(2 * MIB, 9));
    expect(declared).toMatchObject({ status: 413, code: "QUOTA_EXCEEDED" });
    const streamed = await upload(server.url, alice.token, room, stream(2 * MIB, 10));
    expect(streamed).toMatchObject({ status: 413, code: "QUOTA_EXCEEDED" });
    // Only the two accepted files are on disk, and no partial file is left.
    const dir = join(server.dir, "files");
    const blobs = readdirSync(dir).filter((d) => d !== "tmp");
    expect(blobs.flatMap((d) => readdirSync(join(dir, d))).length).toBe(2);
    expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    // Another user has their own quota.
    const bob = await register(server.url);
    const bobs = await createRoom(server.url, bob.token);
    expect((await upload(server.url, bob.token, bobs, bytes(2 * MIB, 11))).status).toBe(201);
  });

  it("refuses uploads past the total kept with QUOTA_EXCEEDED", async () => {
    server = await startTestServer({ uploadBytesTotal: 3 * MIB, uploadsPerMinute: 100 });
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    expect((await upload(server.url, alice.token, room, bytes(2 * MIB, 1))).status).toBe(201);
    expect(await upload(server.url, alice.token, room, bytes(2 * MIB, 2))).toMatchObject({
      code: "QUOTA_EXCEEDED",
    });
  });

  it("limits the upload rate with RATE_LIMITED and a Retry-After", async () => {
    server = await startTestServer({ uploadsPerMinute: 3 });
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await upload(server.url, alice.token, room, bytes(10, i)));
    expect(results.slice(0, 3).every((r) => r.status === 201)).toBe(true);
    expect(results[3]).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(Number(results[3]?.retryAfter)).toBeGreaterThan(0);
  });

  it("refuses every upload below the free-disk watermark with DISK_FULL", async () => {
    server = await startTestServer({ minFreeDiskBytes: Number.MAX_SAFE_INTEGER });
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    expect(await upload(server.url, alice.token, room, bytes(10, 1))).toMatchObject({
      status: 507,
      code: "DISK_FULL",
    });
  });
});

describe("clean-up", () => {
  it("deletes, at the next start, room files never shared and partial files left by a cut upload", async () => {
    let clock = Date.now();
    const first = await startTestServer({}, { now: () => clock });
    const db = first.dir;
    const alice = await register(first.url);
    const room = await createRoom(first.url, alice.token);
    const shared = await upload(first.url, alice.token, room, bytes(1000, 1), "kept.bin");
    const lonely = await upload(first.url, alice.token, room, bytes(1000, 2), "lonely.bin");
    const ws = await connect(first.wsUrl, alice.token);
    await ws.request({ type: "join", room });
    expect(
      await ws.request({ type: "send", room, cid: "share-1", file: shared.id as string }),
    ).toMatchObject({ type: "ack" });
    await ws.close();
    const tmp = join(db, "files", "tmp");
    mkdirSync(tmp, { recursive: true });
    const partial = join(tmp, "deadbeef.part");
    writeFileSync(partial, "half a file");
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(partial, old, old);
    // Stop without removing the directory, then start again on it, 25 hours later.
    await first.stop();
    clock += 25 * 3_600_000;
    const again = await startServer({
      config: { ...DEFAULTS, port: 0, db: join(db, "parley.db") },
      log: createLogger("silent"),
      now: () => clock,
    });
    try {
      const get = (id: string) =>
        fetch(`${again.url}/api/files/${id}`, {
          headers: { authorization: `Bearer ${alice.token}` },
        });
      const dir = join(db, "files");
      const blobCount = () =>
        readdirSync(dir)
          .filter((d) => d !== "tmp")
          .flatMap((d) => readdirSync(join(dir, d))).length;
      // The start-up sweep runs in the background: wait for all of it, then look.
      const deadline = Date.now() + 10_000;
      while (
        ((await get(lonely.id as string)).status !== 404 ||
          existsSync(partial) ||
          blobCount() !== 1) &&
        Date.now() < deadline
      ) {
        await Bun.sleep(50);
      }
      expect(((await (await get(lonely.id as string)).json()) as { code: string }).code).toBe(
        "FILE_NOT_FOUND",
      );
      expect((await get(shared.id as string)).status).toBe(200);
      expect(existsSync(partial)).toBe(false);
      expect(blobCount()).toBe(1);
    } finally {
      await again.stop();
      first.close().catch(() => {});
    }
  });
});
