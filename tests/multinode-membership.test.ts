/**
 * Joins and leaves across nodes: two server processes sharing PostgreSQL and Redis. The same
 * user's join (or leave) sent to both nodes at once changes the membership once, and the room's
 * log holds exactly one join (or leave) per real change: the event is stored in the transaction
 * that changes the membership row, and only when it changed.
 */
import { afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { api, createRoom, register, unique } from "./support/client.ts";
import { ClusterScope } from "./support/cluster.ts";
import { assertReachable, postgresGate, redisGate } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const pg = await postgresGate();
const redis = await redisGate();
const scope = new ClusterScope();
const ROUNDS = 20;

describe.skipIf(pg.skip || redis.skip)("membership across nodes", () => {
  beforeAll(() => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
  });
  afterEach(() => scope.remove());

  it("stores one join and one leave per real change when the same user's joins and leaves race on two nodes", async () => {
    const cluster = await scope.create();
    const a = await cluster.node();
    const b = await cluster.node();
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token, unique("race"));
    const both = (what: "join" | "leave") =>
      Promise.all(
        [a, b].map((n) => api(n.url, "POST", `/api/rooms/${room}/${what}`, {}, bob.token)),
      );

    for (let round = 0; round < ROUNDS; round++) {
      // Both joins succeed (joining a room one is in is no error); one of them is the change.
      expect((await both("join")).map((r) => r.status)).toEqual([200, 200]);
      // One leave wins; the other finds no membership left to end.
      const left = (await both("leave")).map((r) => r.status).sort();
      expect(left).toEqual([204, 403]);
    }

    const sql = cluster.sql();
    try {
      const rows = await sql`
        SELECT kind FROM messages WHERE room_id = ${room} ORDER BY seq`;
      expect(rows.map((r: { kind: string }) => r.kind)).toEqual(
        Array.from({ length: 2 * ROUNDS }, (_, i) => (i % 2 === 0 ? "join" : "leave")),
      );
      const members = await sql`
        SELECT user_id FROM members WHERE room_id = ${room} AND user_id = ${bob.user.id}`;
      expect(members).toHaveLength(0);
    } finally {
      await sql.close();
    }
  });
});
