/**
 * Two admins of one group, on two nodes sharing PostgreSQL and Redis, sign the next membership
 * version at the same moment: the store keeps exactly one (the other is BAD_MEMBERSHIP, nothing
 * of it kept), so the server's members and their roles are always those of the one version
 * every client accepts (db/store-*-groups.ts storeGroupVersion, its "stale" check).
 */
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { PostgresStore } from "../../db/store-postgres.ts";
import type { Membership } from "../../src/crypto/index.ts";
import { unique } from "../support/client.ts";
import { Cluster } from "../support/cluster.ts";
import { tempDir } from "../support/server.ts";
import { assertReachable, postgresGate, redisGate } from "../support/services.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { groupMember, joinedGroup, type Member, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const pg = await postgresGate();
const redis = await redisGate();
const dirs = tempDir("parley-group-race-");
let cluster: Cluster | undefined;
let store: PostgresStore | undefined;
const running: Member[] = [];
afterEach(async () => {
  for (const m of running.splice(0)) m.close();
  await store?.close();
  store = undefined;
  await cluster?.remove();
  cluster = undefined;
  dirs.remove();
});

/** Polls an asynchronous check until it holds; throws with `what` after 20 s. */
async function holds(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe.skipIf(pg.skip || redis.skip)("membership versions racing on two nodes", () => {
  it("stores exactly one of two versions signed at once, and the server's members and roles are that one's", async () => {
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
    const [alice, bob] = [await member(a.url), await member(b.url)];
    const others = [await member(a.url), await member(a.url), await member(b.url)];
    const others2 = [await member(b.url), await member(a.url), await member(b.url)];
    const room = (await alice.groups.create(unique("g"), [nameOf(bob)])).id;
    await joinedGroup(bob, room);
    await alice.groups.setAdmins(room, [nameOf(alice), nameOf(bob)]);
    const db = await PostgresStore.open({ url: cluster.database.url, max: 2 });
    store = db;
    const newest = async () =>
      JSON.parse((await db.groupVersions(room)).at(-1)?.body ?? "{}") as Membership;

    for (let round = 0; round < 3; round++) {
      const version = (await newest()).version;
      const count = (await newest()).members.length;
      for (const m of [alice, bob]) {
        await holds(
          async () => (await m.groups.members(room))?.length === count,
          `${nameOf(m)} to hold the newest version`,
        );
      }
      // Each adds someone else, both as version + 1, at once, on their own node.
      const [x, y] = [others[round] as Member, others2[round] as Member];
      const results = await Promise.allSettled([
        alice.groups.add(room, [nameOf(x)]),
        bob.groups.add(room, [nameOf(y)]),
      ]);
      const kept = results.filter((r) => r.status === "fulfilled");
      expect(kept.length).toBe(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "BAD_MEMBERSHIP" });
      const stored = await newest();
      expect(stored.version).toBe(version + 1);
      expect((await db.groupVersions(room)).length).toBe(version + 1);
      // The server's members and roles are exactly the stored version's.
      const members = (await db.membersOf(room)).map((u) => String(u.id)).sort();
      expect(members).toEqual([...stored.members].sort());
      const owners = [...(await db.standings(room))]
        .filter(([, s]) => s.role === "owner")
        .map(([id]) => String(id))
        .sort();
      expect(owners).toEqual([...stored.admins].sort());
    }
  });
});
