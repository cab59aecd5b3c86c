import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { Connection } from "../src/client-core/connection.ts";
import { CLOSE, type Message, type ServerFrame } from "../src/protocol/index.ts";
import { api, connect, createRoom, register, type TestSocket, unique } from "./support/client.ts";
import { type ChildServer, spawnServer, startTestServer, tempDir } from "./support/server.ts";
import { waitFor } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Sends on a raw socket, four in flight, until it closes; records every ack. */
function sendUntilClosed(ws: TestSocket, room: number, acked: Set<string>) {
  let i = 0;
  let open = true;
  ws.closed.then(() => {
    open = false;
  });
  async function lane(n: number) {
    while (open) {
      const cid = `raw-${n}-${i++}`;
      try {
        const reply = await ws.request<ServerFrame>({ type: "send", room, cid, body: cid }, 5000);
        if (reply.type === "ack") acked.add(cid);
      } catch {
        return;
      }
    }
  }
  return Promise.all([0, 1, 2, 3].map(lane));
}

async function stored(base: string, token: string, room: number): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const after = all.at(-1)?.seq ?? 0;
    const page = await api<{ messages: Message[]; more: boolean }>(
      base,
      "GET",
      `/api/rooms/${room}/messages?after=${after}&limit=200`,
      undefined,
      token,
    );
    all.push(...page.body.messages);
    if (!page.body.more) return all;
  }
}

describe("SIGTERM", () => {
  it("loses no acknowledged message, closes sockets with 1001, and clients reconnect", async () => {
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const db = join(dir.path, "parley.db");
    const fast = ["--rate", "100000", "--burst", "100000", "--log-level", "info"];
    const children: ChildServer[] = [];
    cleanup.push(async () => {
      for (const c of children) await c.kill().catch(() => {});
    });
    const first = await spawnServer({ db, extraArgs: fast });
    children.push(first);
    const port = Number(new URL(first.url).port);
    const alice = await register(first.url);
    const name = unique("r");
    const room = await createRoom(first.url, alice.token, name);

    // A raw socket, to see the close code and count its acks.
    const raw = await connect(first.wsUrl, alice.token);
    const rawAcked = new Set<string>();
    const rawSending = sendUntilClosed(raw, room, rawAcked);

    // The shared client connection layer, which must reconnect by itself and resend.
    const client = new Connection({
      server: first.url,
      token: alice.token,
      backoff: { baseMs: 50, capMs: 200 },
    });
    cleanup.push(() => client.close());
    const delivered = new Set<string>();
    const statuses: string[] = [];
    client.on("delivered", (item) => delivered.add(item.cid));
    client.on("status", (s) => statuses.push(s.kind));
    client.start();
    await client.ready();
    await client.join(name);
    const sent: string[] = [];
    let sending = true;
    const pump = (async () => {
      for (let i = 0; sending; i++) {
        sent.push(client.send(room, `conn ${i}`).cid);
        await Bun.sleep(2);
      }
    })();

    await waitFor(() => rawAcked.size >= 100 && delivered.size >= 50, "traffic before SIGTERM");
    first.proc.kill("SIGTERM");
    const code = await first.proc.exited;
    expect(code).toBe(0);
    expect((await raw.closed).code).toBe(CLOSE.GOING_AWAY);
    await rawSending;

    // The same node comes back on the same port and data; the client finds it again.
    const second = await spawnServer({ db, port, extraArgs: fast });
    children.push(second);
    await waitFor(() => statuses.includes("back-online"), "the client to reconnect");
    sending = false;
    await pump;
    await waitFor(() => client.pending().length === 0, "the client's outbox to empty");

    const messages = await stored(second.url, alice.token, room);
    const cids = messages.map((m) => m.cid);
    expect(new Set(cids).size).toBe(cids.length);
    for (const cid of rawAcked) expect(cids).toContain(cid);
    // Every message the client sent arrived, once, including those sent across the restart.
    for (const cid of sent) expect(cids).toContain(cid);
    expect(delivered.size).toBe(sent.length);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
  });

  it("stops accepting new connections as soon as it begins stopping", async () => {
    const server = await startTestServer();
    const alice = await register(server.url);
    const open = await connect(server.wsUrl, alice.token);
    const stopping = server.stop();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await expect(connect(server.wsUrl, alice.token)).rejects.toThrow();
    // The socket that was open is told to go away, and so reconnects elsewhere.
    expect((await open.closed).code).toBe(CLOSE.GOING_AWAY);
    await stopping;
    await server.close();
  });
});
