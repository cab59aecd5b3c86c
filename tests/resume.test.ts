import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { SqliteStore } from "../db/store-sqlite.ts";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import { connect, createRoom, register, type TestSocket } from "./support/client.ts";
import { type Conversation, type ConversationKind, converse } from "./support/conversation.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** The real SQLite store, with the read latency of a networked database, to widen the race. */
class LaggyStore extends SqliteStore {
  // The answer travels back slowly: messages committed meanwhile are newer than the snapshot.
  override async messagesAfter(room: number, after: number, limit: number) {
    const rows = await super.messagesAfter(room, after, limit);
    await Bun.sleep(30);
    return rows;
  }
  override async messagesBefore(room: number, before: number, limit: number) {
    const rows = await super.messagesBefore(room, before, limit);
    await Bun.sleep(30);
    return rows;
  }
  // Replay reads the room's log (messages and events) through these.
  override async logAfter(room: number, after: number, limit: number) {
    const rows = await super.logAfter(room, after, limit);
    await Bun.sleep(30);
    return rows;
  }
  override async logBefore(room: number, before: number, limit: number) {
    const rows = await super.logBefore(room, before, limit);
    await Bun.sleep(30);
    return rows;
  }
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Payload = Conversation["payload"];
type SendRequest = Parameters<TestSocket["request"]>[0];
const text: Payload = async (_cid, body) => ({ body });

/** Sends `count` messages, `window` unacknowledged at a time; resolves with every ack. */
async function sendMany(
  ws: TestSocket,
  room: number,
  count: number,
  prefix: string,
  payload: Payload = text,
  window = 8,
) {
  const acks: ServerFrameOf<"ack">[] = [];
  let next = 0;
  async function lane() {
    while (next < count) {
      const i = next++;
      const cid = `${prefix}${i}`;
      const frame = { type: "send", room, cid, ...(await payload(cid, `${prefix} ${i}`)) };
      acks.push(await ws.request<ServerFrameOf<"ack">>(frame as SendRequest, 20_000));
    }
  }
  await Promise.all(Array.from({ length: window }, lane));
  return acks;
}

function expectExactlyOnceInOrder(seqs: number[], from: number, to: number) {
  expect(seqs).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i));
}

async function resumeRace(kind: ConversationKind, store?: (path: string) => SqliteStore) {
  server = await startTestServer({ rate: 100_000, burst: 100_000 }, store ? { store } : {});
  const { room, alice, bob, head, payload } = await converse(kind, server.url, server.wsUrl);
  const a = await connect(server.wsUrl, alice.token);

  // Bob reads the log's first entries (his own join, in a room) and the first 20 messages, then drops.
  const first = await connect(server.wsUrl, bob.token);
  await first.request({ type: "resume", rooms: [{ room, after: 0 }] });
  await sendMany(a, room, 20, "before", payload);
  await first.waitForMessages(room, 20);
  const seen = first.entrySeqs(room);
  await first.close();
  const lastSeen = seen.at(-1) as number;
  expect(lastSeen).toBe(head + 20);

  // 500 messages go out while he reconnects and resumes; traffic continues during the replay.
  const sending = sendMany(a, room, 500, "during", payload);
  await Bun.sleep(20);
  const second = await connect(server.wsUrl, bob.token);
  const resumed = await second.request<ServerFrameOf<"resumed">>(
    { type: "resume", rooms: [{ room, after: lastSeen }] },
    20_000,
  );
  expect(resumed.refused).toEqual([]);
  const acks = await sending;
  const lastSeq = Math.max(...acks.map((x) => x.seq));
  expect(lastSeq).toBe(head + 520);
  const got = await second.waitForMessages(room, 500, 20_000);
  await Bun.sleep(50);
  // Every entry of the log (bob's join event and the 520 messages) exactly once, in order.
  expectExactlyOnceInOrder([...seen, ...second.entrySeqs(room)], 1, head + 520);
  expect(got.length).toBe(500);
  await Promise.all([a.close(), second.close()]);
  return server.logs
    .filter((l) => l.includes('"replay.done"'))
    .map((l) => JSON.parse(l) as { buffered: number; replayed: number });
}

describe("resume", () => {
  it("replays exactly the gap while live traffic flows, each seq once and in order", async () => {
    await resumeRace("room");
  });

  it("does the same for a DM's sealed messages", async () => {
    await resumeRace("dm");
  });

  it("merges live messages that arrive during a slow replay without loss or repeats", async () => {
    const replays = await resumeRace("room", (path) => new LaggyStore(path));
    // The race really happened: live messages were buffered during a replay and merged.
    expect(replays.some((r) => r.buffered > 0)).toBe(true);
  });

  it("announces a gap too large to replay and replays the newest part", async () => {
    server = await startTestServer({ rate: 100_000, burst: 100_000, replayMax: 50 });
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const a = await connect(server.wsUrl, alice.token);
    await sendMany(a, room, 120, "m");
    const b = await connect(server.wsUrl, alice.token);
    await b.request({ type: "resume", rooms: [{ room, after: 10 }] });
    const gap = b.frames.find((f) => f.type === "gap");
    expect(gap).toEqual({ type: "gap", room, from: 11, to: 70 });
    expectExactlyOnceInOrder(
      b.messages(room).map((m) => m.seq),
      71,
      120,
    );
    await Promise.all([a.close(), b.close()]);
  });

  it("refuses to resume a room the user is not in, and resumes the others", async () => {
    server = await startTestServer();
    const alice = await register(server.url);
    const bob = await register(server.url);
    const mine = await createRoom(server.url, alice.token);
    const theirs = await createRoom(server.url, bob.token);
    const a = await connect(server.wsUrl, alice.token);
    const resumed = await a.request<ServerFrameOf<"resumed">>({
      type: "resume",
      rooms: [
        { room: mine, after: 0 },
        { room: theirs, after: 0 },
      ],
    });
    expect(resumed.rooms).toEqual([{ room: mine, head: 0 }]);
    expect(resumed.refused).toEqual([{ room: theirs, code: "NOT_MEMBER" }]);
    await a.close();
  });
});
