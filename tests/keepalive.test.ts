import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { RoomSummary } from "../src/protocol/index.ts";
import { type Account, api, connect, createRoom, register } from "./support/client.ts";
import { RawSocket } from "./support/raw-socket.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { waitFor } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const HEARTBEAT = 8;
let server: TestServer;
let alice: Account;
beforeAll(async () => {
  server = await startTestServer({ heartbeat: HEARTBEAT });
  alice = await register(server.url);
});
afterAll(() => server.close());

async function online(room: number): Promise<number> {
  const res = await api<{ rooms: RoomSummary[] }>(
    server.url,
    "GET",
    "/api/rooms",
    undefined,
    alice.token,
  );
  return res.body.rooms.find((r) => r.id === room)?.online ?? -1;
}

describe("keep-alive", () => {
  it("drops a client that stops answering pings within the heartbeat bound, keeps one that answers, and online counts follow", async () => {
    const bob = await register(server.url);
    const room = await createRoom(server.url, bob.token);
    const raw = await RawSocket.open(server.wsUrl, bob.token);
    const live = await connect(server.wsUrl, alice.token); // Bun's client answers pings itself
    expect(JSON.parse(raw.text()[0] as string).type).toBe("hello");
    expect(await online(room)).toBe(1);

    const opened = Date.now();
    await raw.closed;
    const seconds = (Date.now() - opened) / 1000;
    // The documented bound: the heartbeat (a multiple of 4 s, at least 8), with slack for load.
    expect(seconds).toBeLessThan(2 * HEARTBEAT + 2);
    expect(raw.pings()).toBeGreaterThan(0);
    // The count follows once the server has run its close handler; ask until it has.
    await waitFor(async () => (await online(room)) === 0, "the dropped client counted offline");
    expect(await online(room)).toBe(0);

    // The silent client was dropped for its silence: the one that answers pings is still here.
    await Bun.sleep(4000);
    expect(await live.request({ type: "ping" })).toMatchObject({ type: "pong" });
    await live.close();
  }, 40_000);
});
