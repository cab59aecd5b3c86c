import { Database } from "bun:sqlite";
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { runFuzz } from "../bench/fuzz/campaign.ts";
import { FrameGenerator } from "../bench/fuzz/generator.ts";
import { FuzzSocket } from "../bench/fuzz/lane.ts";
import { errorFrameProblem, expectationFor, judgeReply } from "../bench/fuzz/oracle.ts";
import { Random } from "../bench/fuzz/random.ts";
import { newStats } from "../bench/fuzz/stats.ts";
import {
  checkAcked,
  checkDatabase,
  compareDelivered,
  compareSnapshot,
  type StoredMessage,
} from "../bench/fuzz/store-check.ts";
import { formatViolation, Violations } from "../bench/fuzz/violations.ts";
import type { ServerFrame } from "../src/protocol/index.ts";
import { connect, createRoom, register } from "./support/client.ts";
import { startTestServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const SEED = 20_240_601;

describe("the fuzzer against a real server", () => {
  // 300 s: alone this whole file takes ~28 s, but CPU-bound beside three other workers and Chromium,
  // this test took 58–115 s in whole-suite runs, and once passed 120 s on a loaded CI machine.
  it("holds every invariant through 10,000 generated frames (fixed seed)", async () => {
    const report = await runFuzz({ seed: SEED, frames: 10_000 });
    expect(report.violations.found.map(formatViolation)).toEqual([]);

    const [raised, defaults] = report.profiles;
    if (!raised || !defaults) throw new Error("both server profiles must run");
    expect(raised.stats.sent.total + defaults.stats.sent.total).toBe(10_000);
    // It reached the parser, the handlers, both size limits, the rate limit and the abuse close.
    for (const code of ["BAD_FRAME", "INVALID", "UNKNOWN_TYPE", "FRAME_TOO_LARGE", "NOT_MEMBER"]) {
      expect({ code, n: raised.stats.replies.get(`error:${code}`) > 0 }).toEqual({ code, n: true });
    }
    expect(defaults.stats.replies.get("error:RATE_LIMITED")).toBeGreaterThan(0);
    for (const ok of ["ack", "pong", "history", "resumed", "joined", "created"]) {
      expect({ ok, n: raised.stats.replies.get(ok) > 0 }).toEqual({ ok, n: true });
    }
    expect(raised.stats.closes.get("1008")).toBeGreaterThan(0);
    expect(raised.stats.closes.get("1009")).toBeGreaterThan(0);
    // The wire lane's broken framing is closed on (protocol error, invalid UTF-8), not hung on.
    expect(raised.stats.closes.get("wire:1002")).toBeGreaterThan(0);
    expect(raised.stats.closes.get("wire:1007")).toBeGreaterThan(0);
    expect(raised.stats.bystanderMessages).toBeGreaterThan(20);
    expect(defaults.stats.bystanderMessages).toBeGreaterThan(20);
    expect(raised.stats.http.total).toBeGreaterThan(100);
  }, 300_000);

  // Seed 7 at 20,000 frames once failed on an oracle bug (see "the reply matcher" below); these
  // short runs on other fixed seeds keep more of the generator's space covered on every run.
  for (const seed of [7, 11, 23]) {
    it(`holds every invariant through 1,500 frames with seed ${seed}`, async () => {
      const report = await runFuzz({ seed, frames: 1_500 });
      expect(report.violations.found.map(formatViolation)).toEqual([]);
    }, 120_000);
  }

  // Found by the fuzzer: the live copy kept a lone surrogate while SQLite stored U+FFFD.
  it("refuses a body with a lone surrogate, or stores it exactly as it acknowledged it", async () => {
    const server = await startTestServer();
    try {
      const alice = await register(server.url);
      const room = await createRoom(server.url, alice.token);
      const ws = await connect(server.wsUrl, alice.token);
      await ws.request({ type: "join", room, after: 0 });
      const body = "a\ud800b";
      const ack = await ws.request({ type: "send", room, cid: "lone-1", body });
      if (ack.type === "error") {
        expect(ack.code).toBe("INVALID_MESSAGE");
      } else {
        const live = await ws.waitForMessages(room, 1);
        const page = await ws.request<ServerFrame & { type: "history" }>({
          type: "history",
          room,
          after: 0,
        });
        expect(live[0]?.body).toBe(body);
        expect(page.messages[0]?.body).toBe(body);
      }
      await ws.close();
    } finally {
      await server.close();
    }
  });

  // Found by the fuzzer too: the store bound cids as UTF-8, so "x\ud800" and "x\udbff" were one
  // cid, and a different message was acked as a duplicate and dropped.
  it("treats two cids that differ in a lone surrogate as two messages", async () => {
    const server = await startTestServer();
    try {
      const alice = await register(server.url);
      const room = await createRoom(server.url, alice.token);
      const ws = await connect(server.wsUrl, alice.token);
      await ws.request({ type: "send", room, cid: "x\ud800", body: "first" });
      const second = await ws.request({ type: "send", room, cid: "x\udbff", body: "second" });
      // Refusing lone surrogates (a coded error) is as good as storing the message apart.
      expect(second).not.toMatchObject({ type: "ack", duplicate: true });
      await ws.close();
    } finally {
      await server.close();
    }
  });
});

describe("a crash during a fuzz run", () => {
  it("is reported as a violation, not missed", async () => {
    let killed = false;
    const report = await runFuzz({
      seed: SEED,
      frames: 20_000,
      onFuzzing: (server) => {
        if (killed) return;
        killed = true;
        // The first profile's server dies as a crash would, well before its 17,000 frames.
        setTimeout(() => void server.kill(), 300);
      },
    });
    const invariants = new Set(report.violations.found.map((v) => v.invariant));
    expect(invariants.has("server-alive")).toBe(true);
    expect(invariants.has("bystander-closed")).toBe(true);
  }, 120_000);
});

describe("the reply matcher", () => {
  // Seed 7: a typing notification and a contact_remove shared the id r2.1321. The typing's
  // ROOM_NOT_FOUND came first and used up the request's entry, so the contact_remove's
  // USER_NOT_FOUND looked like a second answer to one request. The server was right.
  it("gives each of two frames sharing an id its own reply, in either order", () => {
    for (const order of [
      ["ROOM_NOT_FOUND", "USER_NOT_FOUND"],
      ["USER_NOT_FOUND", "ROOM_NOT_FOUND"],
    ]) {
      const violations = new Violations();
      const socket = new FuzzSocket(
        {} as WebSocket,
        {
          name: "t",
          wsUrl: "ws://unused",
          token: "",
          userId: 1,
          generator: {} as FrameGenerator,
          rng: new Random(1),
          frames: 0,
          maxFrameBytes: 32_768,
          violations,
          stats: newStats(),
          acked: [],
        },
        new Map(),
      );
      for (const frame of [
        '{"type":"typing","id":"r2.1321","room":999999}',
        '{"type":"contact_remove","id":"r2.1321","user":"nobody-here"}',
      ]) {
        socket.expect(expectationFor(frame, 32_768), frame);
      }
      for (const code of order) {
        socket.receive(JSON.stringify({ type: "error", ref: "r2.1321", code, message: "No." }));
      }
      expect(violations.found.map(formatViolation)).toEqual([]);
      expect(socket.owed).toBe(0);
    }
  });
});

describe("the generator", () => {
  it("makes the same frames from the same seed", () => {
    const ctx = {
      lane: "t",
      rooms: [1, 2, 999],
      roomNames: ["general"],
      userNames: ["alice"],
      userIds: [1],
      maxFrameBytes: 32_768,
    };
    const a = new FrameGenerator(new Random(7), ctx);
    const b = new FrameGenerator(new Random(7), ctx);
    const c = new FrameGenerator(new Random(8), ctx);
    const take = (g: FrameGenerator) => Array.from({ length: 300 }, () => g.next());
    const fromA = take(a);
    expect(take(b)).toEqual(fromA);
    expect(take(c)).not.toEqual(fromA);
  });
});

describe("the invariant checks catch what they are for", () => {
  const send = '{"type":"send","id":"s1","room":2,"cid":"c1","body":"hi"}';

  it("rejects a wrong error code, a wrong reply type and an ack for another cid", () => {
    const bad = expectationFor("not json", 32_768);
    expect(bad).toEqual({ kind: "error", ref: undefined, code: "BAD_FRAME" });
    const err = (code: string): ServerFrame => ({ type: "error", code, message: "m" });
    expect(judgeReply(bad, err("BAD_FRAME"))).toBeUndefined();
    expect(judgeReply(bad, err("INVALID"))).toContain("expected error BAD_FRAME");

    const e = expectationFor(send, 32_768);
    const ack = { type: "ack", ref: "s1", room: 2, cid: "c1", seq: 1, ts: 1, duplicate: false };
    expect(judgeReply(e, ack as ServerFrame)).toBeUndefined();
    expect(judgeReply(e, { ...ack, cid: "other" } as ServerFrame)).toContain("another cid");
    expect(judgeReply(e, { type: "pong", ref: "s1" })).toContain("answered with pong");
    expect(judgeReply(e, { type: "error", ref: "s1", code: "INTERNAL", message: "m" })).toContain(
      "refused with INTERNAL",
    );
  });

  it("sees the server's view of a frame: a lone surrogate arrives as U+FFFD", () => {
    const e = expectationFor('{"type":"ping","id":"x\ud800"}', 32_768);
    expect(e).toMatchObject({ kind: "reply", ref: "x\ufffd" });
    expect(expectationFor("x".repeat(32_769), 32_768)).toMatchObject({ code: "FRAME_TOO_LARGE" });
    expect(expectationFor("x".repeat(1024 * 1024 + 1), 32_768)).toEqual({
      kind: "close",
      code: 1009,
    });
  });

  it("flags unknown codes, INTERNAL and a misplaced retryAfter", () => {
    expect(errorFrameProblem({ type: "error", code: "NOPE", message: "m" })).toContain("unknown");
    expect(errorFrameProblem({ type: "error", code: "INTERNAL", message: "m" })).toContain("bug");
    expect(
      errorFrameProblem({ type: "error", code: "INVALID", message: "m", retryAfter: 1 }),
    ).toContain("retryAfter");
    expect(errorFrameProblem({ type: "error", code: "INVALID", message: "m" })).toBeUndefined();
  });

  const row = (seq: number, body = `m${seq}`): StoredMessage => ({
    room: 1,
    seq,
    sender: 5,
    cid: `c${seq}`,
    body,
    ts: 1000 + seq,
  });

  it("notices a stored message that changed or vanished, and an acked one never stored", () => {
    const before = [row(1), row(2), row(3)];
    const after = [row(1), row(2, "edited")];
    expect(compareSnapshot(before, after).map((v) => v.invariant)).toEqual([
      "message-changed",
      "message-deleted",
    ]);
    const acked = [{ room: 1, seq: 3, cid: "c3", body: "m3", sender: 5 }];
    expect(checkAcked(acked, after).map((v) => v.invariant)).toEqual(["acked-lost"]);
    expect(checkAcked(acked, before)).toEqual([]);
  });

  it("notices a delivered message that differs from the store", () => {
    const stored = [row(1), row(2)];
    const delivered = stored.map((m) => ({
      room: m.room,
      seq: m.seq,
      ts: m.ts,
      from: { id: m.sender, name: "x" },
      cid: m.cid,
      body: m.seq === 2 ? "other" : m.body,
    }));
    expect(compareDelivered(delivered, stored, 1).map((v) => v.detail)).toEqual([
      "room 1 seq 2: the delivered body differs from the stored one",
    ]);
    expect(compareDelivered(delivered.slice(0, 1), stored, 1)[0]?.invariant).toBe(
      "delivered-as-stored",
    );
  });

  it("notices a gap in a room's seqs", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "gap.db");
      const db = new Database(path, { create: true });
      db.run("CREATE TABLE rooms (id INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL)");
      db.run("CREATE TABLE messages (room_id INTEGER, seq INTEGER, PRIMARY KEY (room_id, seq))");
      db.run("INSERT INTO rooms VALUES (1, 3), (2, 1)");
      db.run("INSERT INTO messages VALUES (1, 1), (1, 3), (2, 1)");
      db.close();
      expect(checkDatabase(path).map((v) => v.detail)).toEqual([
        "room 1: last_seq 3, 2 messages, highest seq 3",
      ]);
    } finally {
      dir.remove();
    }
  });

  it("tolerates a known issue only when asked, and only that issue", () => {
    const issue = {
      id: "lone-surrogates",
      summary: "stored with U+FFFD",
      matches: (v: { sent?: string; stored?: string }) =>
        v.sent !== undefined && v.sent !== v.stored && v.sent.toWellFormed() === v.stored,
    };
    const lone = { invariant: "stored-as-sent", detail: "d", sent: "a\ud800", stored: "a\ufffd" };
    const other = { invariant: "stored-as-sent", detail: "d", sent: "a", stored: "b" };
    const strict = new Violations([], [issue]);
    strict.add(lone);
    expect(strict.ok).toBe(false);
    const lenient = new Violations(["lone-surrogates"], [issue]);
    lenient.add(lone);
    expect(lenient.ok).toBe(true);
    lenient.add(other);
    expect(lenient.found).toEqual([other]);
    expect(() => new Violations(["no-such-issue"], [issue])).toThrow();
  });
});
