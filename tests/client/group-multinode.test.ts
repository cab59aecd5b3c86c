/**
 * An encrypted group across two nodes sharing PostgreSQL and Redis (docs/e2ee.md 12): created on
 * node A, a member connected to node B is told of it, reads and writes; removed on A, the
 * member's sockets on B are taken out at once and what is sent after is not sealed for them.
 */
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { PushFrame } from "../../src/client-core/connection-events.ts";
import { unique } from "../support/client.ts";
import { Cluster } from "../support/cluster.ts";
import { tempDir } from "../support/server.ts";
import { assertReachable, postgresGate, redisGate } from "../support/services.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupMember, joinedGroup, type Member, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const pg = await postgresGate();
const redis = await redisGate();
const dirs = tempDir("parley-group-nodes-");
let cluster: Cluster | undefined;
const running: Member[] = [];
afterEach(async () => {
  for (const m of running.splice(0)) m.close();
  await cluster?.remove();
  cluster = undefined;
  dirs.remove();
});

describe.skipIf(pg.skip || redis.skip)("an encrypted group across two nodes", () => {
  it("reaches a member on node B, and a removal on node A takes effect on B's sockets", async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
    cluster = await Cluster.create();
    const a = await cluster.node();
    const b = await cluster.node();
    const member = async (url: string) => {
      const m = await groupMember(url, dirs.path);
      running.push(m);
      return m;
    };
    const [alice, carol, bob] = [await member(a.url), await member(a.url), await member(b.url)];
    const pushes: PushFrame[] = [];
    bob.device.conn.on("push", (f) => pushes.push(f));

    const room = (await alice.groups.create(unique("g"), [nameOf(bob), nameOf(carol)])).id;
    await joinedGroup(bob, room);
    await until(() => bob.changes.some((c) => c.outcome === "accepted"), "bob to accept v1");
    alice.groups.send(room, "from node A");
    await until(() => bob.texts.includes("from node A"), "bob on B to read alice on A");
    bob.groups.send(room, "from node B");
    await until(() => alice.texts.includes("from node B"), "alice on A to read bob on B");

    await alice.groups.remove(room, [nameOf(bob)]);
    await until(
      () => pushes.some((f) => f.type === "removed" && f.room === room),
      "bob's socket on B to be removed",
    );
    alice.groups.send(room, "after bob");
    await until(() => carol.texts.includes("after bob"), "carol to read alice");
    // The same message reached carol: bob, on B, got nothing of it and may not ask for it.
    expect(bob.texts).not.toContain("after bob");
    expect(bob.shown.map((c) => c.kind)).toEqual(["text", "text"]);
    await expect(bob.device.conn.request({ type: "history", room })).rejects.toMatchObject({
      code: "ROOM_NOT_FOUND",
    });
  });
});
