/**
 * A block hides the blocker's live presence from the blocked user even in a public room they
 * share, where presence is otherwise published to every member; other members still see it. On
 * one node and across two (PostgreSQL + Redis), with real server processes.
 */
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import {
  type Account,
  connect,
  createRoom,
  joinRoom,
  register,
  type TestSocket,
} from "./support/client.ts";
import { Cluster, FAST_NODE } from "./support/cluster.ts";
import { type ChildServer, spawnServer, tempDir } from "./support/server.ts";
import { assertReachable, postgresGate, redisGate, waitFor } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const pg = await postgresGate();
const redis = await redisGate();

interface Node {
  url: string;
  wsUrl: string;
}

async function reader(node: Node, account: Account, room: number): Promise<TestSocket> {
  const ws = await connect(node.wsUrl, account.token);
  await ws.request({ type: "resume", rooms: [{ room, after: 0 }] }, 20_000);
  return ws;
}

/**
 * Alice (on `home`) blocks Bob, then goes away and comes back. Carol hears both changes; Bob,
 * in the same public room, hears neither, though he still receives the room's messages.
 */
async function blockedHearsNothing(home: Node, away: Node): Promise<void> {
  const alice = await register(home.url);
  const bob = await register(away.url);
  const carol = await register(away.url);
  const room = await createRoom(home.url, alice.token);
  await joinRoom(away.url, bob.token, room);
  await joinRoom(away.url, carol.token, room);
  const bobWs = await reader(away, bob, room);
  const carolWs = await reader(away, carol, room);
  const aliceWs = await reader(home, alice, room);
  const fromAlice = (ws: TestSocket, status: string) => (f: (typeof ws.frames)[number]) =>
    f.type === "presence" && f.user.id === alice.user.id && f.status === status;
  // Before the block Bob sees her, so the test can tell a leak from a presence that never left.
  await aliceWs.request({ type: "status", status: "away" });
  await bobWs.waitFor(fromAlice(bobWs, "away"), 10_000);
  await carolWs.waitFor(fromAlice(carolWs, "away"), 10_000);
  await aliceWs.request({ type: "status", status: "online" });
  await bobWs.waitFor(fromAlice(bobWs, "online"), 10_000);
  await carolWs.waitFor(fromAlice(carolWs, "online"), 10_000);

  await aliceWs.request({ type: "block", user: bob.user.name });
  const seenBefore = bobWs.frames.length;
  const carolBefore = carolWs.frames.length;
  await aliceWs.request({ type: "status", status: "away" });
  await aliceWs.request({ type: "status", status: "online" });
  const heard = (ws: TestSocket, from: number) =>
    ws.frames.slice(from).filter((f) => f.type === "presence" && f.user.id === alice.user.id);
  await waitFor(() => heard(carolWs, carolBefore).length >= 2, "Carol hears both changes");
  // A message in the room after the changes: presence sent to Bob would have come before it.
  const cid = crypto.randomUUID();
  await carolWs.request({ type: "send", room, cid, body: "after" });
  await bobWs.waitFor((f) => f.type === "msg" && f.cid === cid, 10_000);
  expect(heard(bobWs, seenBefore)).toEqual([]);
  for (const ws of [aliceWs, bobWs, carolWs]) ws.close();
}

describe("presence and blocks", () => {
  let node: ChildServer | undefined;
  const scratch = tempDir("parley-presence-block-");
  afterEach(async () => {
    await node?.kill();
    node = undefined;
  });

  it("sends no presence of the blocker to a blocked member of a shared public room, on one node", async () => {
    node = await spawnServer({ db: join(scratch.path, "one.db"), extraArgs: FAST_NODE });
    await blockedHearsNothing(node, node);
  });
});

describe.skipIf(pg.skip || redis.skip)("presence and blocks across nodes", () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.remove();
    cluster = undefined;
  });

  it("sends no presence of the blocker to a blocked member on another node", async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
    cluster = await Cluster.create();
    const a = await cluster.node();
    const b = await cluster.node();
    await blockedHearsNothing(a, b);
  });
});
