import { Database } from "bun:sqlite";
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Message, ServerFrame, ServerFrameOf } from "../src/protocol/index.ts";
import { api, connect, type TestSocket } from "./support/client.ts";
import { type Conversation, converse } from "./support/conversation.ts";
import { type ChildServer, spawnServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const dirs: { remove(): void }[] = [];
const children: ChildServer[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill().catch(() => {});
  for (const d of dirs.splice(0)) d.remove();
});

type Payload = Conversation["payload"];
type SendRequest = Parameters<TestSocket["request"]>[0];

async function sendFrame(room: number, cid: string, payload: Payload): Promise<SendRequest> {
  return { type: "send", room, cid, ...(await payload(cid, `kill test ${cid}`)) } as SendRequest;
}

/** Sends until the socket dies, `window` in flight; records every ack it got. */
function sendUntilDead(
  ws: TestSocket,
  room: number,
  payload: Payload,
  acked: Map<string, number>,
  sent: string[],
) {
  let i = 0;
  let alive = true;
  ws.closed.then(() => {
    alive = false;
  });
  async function lane() {
    while (alive) {
      const cid = `k${i++}`;
      sent.push(cid);
      try {
        const reply = await ws.request<ServerFrame>(await sendFrame(room, cid, payload), 3000);
        if (reply.type === "ack") acked.set(cid, reply.seq);
      } catch {
        return; // no reply: the server died first
      }
    }
  }
  return Promise.all(Array.from({ length: 8 }, lane));
}

describe("kill -9", () => {
  // A 50 ms commit hold keeps each group commit open far longer than it takes: the kill then
  // lands while sends are held, queued but neither stored nor acknowledged.
  const cases = [
    { kind: "room", hold: [], during: "" },
    { kind: "dm", hold: [], during: "" },
    { kind: "room", hold: ["--commit-hold", "50"], during: ", during a held group commit" },
  ] as const;
  for (const { kind, hold, during } of cases) {
    it(`keeps every acknowledged message and never reuses a seq after a restart (${kind}${during})`, async () => {
      const dir = tempDir();
      dirs.push(dir);
      const db = join(dir.path, "parley.db");
      const fast = ["--rate", "100000", "--burst", "100000"];
      const first = await spawnServer({ db, extraArgs: [...fast, ...hold] });
      children.push(first);
      const { room, alice, payload } = await converse(kind, first.url, first.wsUrl);
      const ws = await connect(first.wsUrl, alice.token);

      const acked = new Map<string, number>();
      const sent: string[] = [];
      const sending = sendUntilDead(ws, room, payload, acked, sent);
      for (const deadline = Date.now() + 20_000; acked.size < 300 && Date.now() < deadline; ) {
        await Bun.sleep(5);
      }
      await first.kill();
      await sending;
      expect(acked.size).toBeGreaterThanOrEqual(300);

      // The file on disk is sound before anything else opens it.
      const check = new Database(db, { readonly: true });
      expect(
        check.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()
          ?.integrity_check,
      ).toBe("ok");
      check.close();

      const second = await spawnServer({ db, extraArgs: fast });
      children.push(second);
      const page = async (after: number) =>
        (
          await api<{ messages: Message[]; events?: { seq: number }[]; more: boolean }>(
            second.url,
            "GET",
            `/api/rooms/${room}/messages?after=${after}&limit=200`,
            undefined,
            alice.token,
          )
        ).body;
      // The log: the messages, and in a room bob's join event before them.
      const stored: Message[] = [];
      const seqs: number[] = [];
      for (let p = await page(0); ; p = await page(seqs.at(-1) ?? 0)) {
        stored.push(...p.messages);
        seqs.push(...[...p.messages, ...(p.events ?? [])].map((e) => e.seq).sort((x, y) => x - y));
        if (!p.more) break;
      }
      const byCid = new Map(stored.map((m) => [m.cid, m.seq]));
      for (const [cid, seq] of acked) expect(byCid.get(cid)).toBe(seq);
      // Seqs are gapless and unique: a seq is bumped in the same transaction as its insert.
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(seqs.length - stored.length).toBe(kind === "room" ? 1 : 0);

      // Retrying everything that was sent is safe: stored ones come back as duplicates.
      const ws2 = await connect(second.wsUrl, alice.token);
      for (const cid of sent) {
        const reply = await ws2.request<ServerFrameOf<"ack">>(await sendFrame(room, cid, payload));
        if (byCid.has(cid)) expect(reply).toMatchObject({ duplicate: true, seq: byCid.get(cid) });
        else expect(reply.seq).toBeGreaterThan(seqs.length);
      }
      const fresh = await ws2.request<ServerFrameOf<"ack">>(
        await sendFrame(room, "after-restart", payload),
      );
      expect(fresh.seq).toBe(seqs.length + sent.filter((c) => !byCid.has(c)).length + 1);
      await ws2.close();
    });
  }
});
