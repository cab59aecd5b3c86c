/**
 * The history window both clients show when they jump to a message far back (a reply's
 * original, a search hit), against a real server whose room holds thousands of messages:
 * one window read around the message however far back it is, changes applied to it while it
 * is open, live messages counted meanwhile, and the window meeting the live tail with every
 * message once.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { ChatSession, PlainConversation } from "../../src/client-core/chat-session.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { HistoryWindow, type WindowConnection } from "../../src/client-core/history-window.ts";
import { isEvent, type LogEntry } from "../../src/protocol/index.ts";
import { until } from "../client/gated-clock.ts";
import { type BigRoom, bigRoomServer } from "../support/big-room.ts";
import { connect, type TestSocket, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const SEEDED = 6000;

describe("HistoryWindow against a real server", () => {
  let big: BigRoom;
  let alice: TestSocket;
  beforeAll(async () => {
    big = await bigRoomServer(SEEDED);
    alice = await connect(big.server.wsUrl, big.alice.token);
    await alice.request({ type: "join", room: big.room });
  });
  afterAll(async () => {
    alice.close();
    await big.close();
  });

  /** Bob's session, attached with its newest 50 messages: the live view, each message once. */
  async function bobLive(): Promise<{
    conn: Connection;
    live: LogEntry[];
    requests: () => number;
  }> {
    const conn = new Connection({ server: big.server.url, token: big.bob.token });
    // What a client's live view takes in: messages, and the events that change them.
    const live: LogEntry[] = [];
    conn.on("message", (m) => live.push(m));
    conn.on("event", (e) => live.push(e));
    let caughtUp = false;
    conn.on("status", (s) => {
      if (s.kind === "connected") caughtUp = true;
    });
    const session = new ChatSession({ conn, make: (s) => new PlainConversation(s) });
    conn.start();
    await conn.ready();
    await session.load(50);
    await until(() => caughtUp && live.length > 0, "the recent messages");
    let requests = 0;
    const history = conn.history.bind(conn);
    conn.history = (room, q) => {
      requests++;
      return history(room, q);
    };
    return { conn, live, requests: () => requests };
  }

  const say = (body: string) =>
    alice.request({ type: "send", room: big.room, cid: unique("c"), body } as never);

  it("should open 5,000 messages back with one window of two reads, not page by page", async () => {
    const bob = await bobLive();
    try {
      const target = SEEDED - 5000;
      const w = await HistoryWindow.around(bob.conn as WindowConnection, big.room, target);
      expect(bob.requests()).toBe(2);
      expect(w.messageAt(target)?.body).toBe(`message number ${target}`);
      const seqs = w.entries.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] ?? 0) + i));
      expect(seqs.length).toBe(50);
      expect(w.hasOlder && w.hasNewer).toBe(true);
      // Scrolling loads a page at either end, and only that.
      const older = await w.older();
      const newer = await w.newer();
      expect(older.length).toBe(50);
      expect(newer.length).toBe(50);
      expect(bob.requests()).toBe(4);
      expect(w.entries.length).toBe(150);
      w.close();
    } finally {
      bob.conn.close();
    }
  });

  it("should apply an edit and a reaction to a message in the window while detached", async () => {
    const bob = await bobLive();
    try {
      const target = SEEDED - 5000 + 7;
      let redraws = 0;
      const w = await HistoryWindow.around(bob.conn, big.room, target, {
        changed: () => redraws++,
      });
      await alice.request({
        type: "event",
        room: big.room,
        cid: unique("e"),
        kind: "edit",
        target,
        body: "fixed while you looked",
      } as never);
      await alice.request({
        type: "event",
        room: big.room,
        cid: unique("r"),
        kind: "react",
        target,
        emoji: "👍",
      } as never);
      await until(() => w.messageAt(target)?.reactions?.length === 1, "the reaction");
      const m = w.messageAt(target);
      expect(m?.body).toBe("fixed while you looked");
      expect(m?.edited).toBeNumber();
      expect(m?.reactions?.[0]).toMatchObject({ emoji: "👍", count: 1 });
      expect(redraws).toBeGreaterThanOrEqual(2);
      // Events are not messages: nothing new counted.
      expect(w.unseen).toBe(0);
      w.close();
    } finally {
      bob.conn.close();
    }
  });

  it("should count live messages while detached and meet the live tail with every message once", async () => {
    const bob = await bobLive();
    try {
      const liveFirst = bob.live[0]?.seq;
      const head = bob.live[bob.live.length - 1]?.seq ?? 0;
      const target = head - 200;
      const w = await HistoryWindow.around(bob.conn, big.room, target);
      await say("sent while bob looked back 1");
      await say("sent while bob looked back 2");
      await until(() => w.unseen === 2, "two live messages counted");
      expect(w.meets(liveFirst)).toBe(false);
      let pages = 0;
      while (!w.meets(liveFirst)) {
        await w.newer();
        pages++;
      }
      expect(pages).toBeLessThanOrEqual(4);
      // Back to latest: the window's part the live view lacks, then the live view itself.
      const shown = [...w.seam(liveFirst), ...bob.live].map((e) => e.seq);
      const first = w.first ?? 0;
      expect(shown).toEqual(Array.from({ length: head + 2 - first + 1 }, (_, i) => first + i));
      const bodies = bob.live.flatMap((m) => (isEvent(m) ? [] : [m.body]));
      expect(bodies.filter((b) => b.startsWith("sent while bob looked back"))).toEqual([
        "sent while bob looked back 1",
        "sent while bob looked back 2",
      ]);
      w.close();
      // Closed: nothing more is counted.
      await say("after the window closed");
      await until(
        () => bob.live.some((m) => m.body === "after the window closed"),
        "the last message live",
      );
      expect(w.unseen).toBe(2);
    } finally {
      bob.conn.close();
    }
  });
});
