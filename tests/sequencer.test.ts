import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { LocalBus } from "../src/bus/bus-local.ts";
import { encodeFrame } from "../src/protocol/index.ts";
import { connect, createRoom, joinRoom, register } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("messages from other nodes", () => {
  it("reach a reader once and in seq order, however the bus repeats, reorders or loses them", async () => {
    // The test plays a second node: it commits straight to the shared store, then publishes.
    const bus = new LocalBus();
    server = await startTestServer({}, { bus });
    const alice = await register(server.url);
    const bob = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    await joinRoom(server.url, bob.token, room);
    const reader = await connect(server.wsUrl, bob.token);
    await reader.request({ type: "resume", rooms: [{ room, after: 0 }] });

    const results = await server.store.append(
      [1, 2, 3, 4, 5, 6].map((i) => ({
        room,
        sender: alice.user,
        cid: `n${i}`,
        body: `from node B ${i}`,
        ts: i,
      })),
    );
    const envelopes = results.map((r) => {
      if (!r.ok || !r.message) throw new Error("append failed");
      return { room, seq: r.message.seq, frame: encodeFrame({ type: "msg", ...r.message }) };
    });
    // Crossed publishes, a repeat after a reconnect, and seq 4 never published at all.
    for (const i of [2, 0, 1, 1, 4, 5, 0]) bus.publish(envelopes[i] as (typeof envelopes)[number]);

    const got = await reader.waitForMessages(room, 6, 5000);
    await Bun.sleep(300);
    // Seq 1 is bob's join, an event of the log; the other node's messages are 2 to 7.
    expect(reader.entrySeqs(room)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(reader.messages(room).map((m) => m.seq)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(got.map((m) => m.body)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `from node B ${i}`));

    // This node's own sends continue the same order.
    const sender = await connect(server.wsUrl, alice.token);
    await sender.request({ type: "send", room, cid: "local", body: "from node A" });
    await reader.waitForMessages(room, 7);
    expect(reader.entrySeqs(room)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await Promise.all([reader.close(), sender.close()]);
  });
});
