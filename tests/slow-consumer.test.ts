import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import { connect, createRoom, joinRoom, register } from "./support/client.ts";
import { RawSocket } from "./support/raw-socket.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    rate: 1_000_000,
    burst: 1_000_000,
    sendBufferBytes: 256 * 1024,
  });
});
afterAll(() => server.close());

describe("a client that stops reading", () => {
  it("is cut off once its send buffer passes the bound, while the others keep receiving", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const slowpoke = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    await joinRoom(server.url, bob.token, room);
    await joinRoom(server.url, slowpoke.token, room);

    const slow = await RawSocket.open(server.wsUrl, slowpoke.token);
    slow.sendText(JSON.stringify({ type: "join", id: "j", room }));
    for (let i = 0; i < 100 && !slow.text().some((t) => t.includes('"joined"')); i++)
      await Bun.sleep(10);
    slow.stopReading();

    const a = await connect(server.wsUrl, alice.token);
    const b = await connect(server.wsUrl, bob.token);
    await b.request({ type: "join", room });

    // Up to ~40 MB through the room: far more than the kernel's socket buffers can hide. Once the
    // server has let go, 500 more messages show the others keep receiving; sending all 10,000
    // took over a minute on a loaded CI machine and proved nothing more.
    const body = "x".repeat(3900);
    const total = 10_000;
    const afterCutOff = 500;
    let next = 0;
    // The paused socket cannot see its own close, so ask the server when it let go.
    const cutOff = () =>
      server.logs.some(
        (l) => l.includes('"ws.close"') && l.includes(`"user":${slowpoke.user.id},`),
      );
    let slowClosedAt = -1;
    async function lane() {
      while (next < total && (slowClosedAt < 0 || next < slowClosedAt + afterCutOff)) {
        const i = next++;
        await a.request<ServerFrameOf<"ack">>({ type: "send", room, cid: `s${i}`, body }, 30_000);
        if (slowClosedAt < 0 && cutOff()) slowClosedAt = i;
      }
    }
    await Promise.all(Array.from({ length: 16 }, lane));
    expect(slowClosedAt).toBeGreaterThan(0);
    expect(slowClosedAt).toBeLessThan(total);

    const sent = next;
    expect(sent).toBeGreaterThanOrEqual(slowClosedAt + afterCutOff);
    const got = await b.waitForMessages(room, sent, 30_000);
    // Seqs 1 and 2 are bob's and slowpoke's joins, events of the log: the messages follow.
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: sent }, (_, i) => i + 3));
    // Nobody else slowed down: the other reader got every message, the sender every ack.
    slow.destroy();
    await Promise.all([a.close(), b.close()]);
  }, 60_000);
});
