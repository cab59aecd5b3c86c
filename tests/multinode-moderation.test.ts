/**
 * Moderation across nodes: two server processes sharing PostgreSQL and Redis. A kick or ban
 * made on node A takes effect at once on the target's live socket on node B.
 */
import { afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import {
  api,
  connect,
  createRoom,
  joinRoom,
  register,
  type TestSocket,
  unique,
} from "./support/client.ts";
import { ClusterScope } from "./support/cluster.ts";
import { assertReachable, postgresGate, redisGate } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const pg = await postgresGate();
const redis = await redisGate();
const sockets: TestSocket[] = [];
const scope = new ClusterScope();

describe.skipIf(pg.skip || redis.skip)("moderation across nodes", () => {
  beforeAll(() => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.ws.close();
    await scope.remove();
  });

  async function setup() {
    const cluster = await scope.create();
    const a = await cluster.node();
    const b = await cluster.node();
    const alice = await register(a.url);
    const bob = await register(b.url);
    const room = await createRoom(a.url, alice.token, unique("m"));
    await joinRoom(b.url, bob.token, room);
    const onA = await connect(a.wsUrl, alice.token);
    const onB = await connect(b.wsUrl, bob.token);
    sockets.push(onA, onB);
    await onA.request({ type: "join", room });
    await onB.request({ type: "join", room });
    return { a, b, alice, bob, room, onA, onB };
  }

  it("delivers an invitation by name made on node A to the invitee's live socket on node B", async () => {
    const { a, b, alice, onB } = await setup();
    const carol = await register(b.url);
    const carolOnB = await connect(b.wsUrl, carol.token);
    sockets.push(carolOnB);
    const priv = await api<{ room: { id: number } }>(
      a.url,
      "POST",
      "/api/rooms",
      { name: unique("p"), visibility: "private" },
      alice.token,
    );
    const res = await api(
      a.url,
      "POST",
      `/api/rooms/${priv.body.room.id}/invitations`,
      { user: carol.user.name },
      alice.token,
    );
    expect(res.status).toBe(204);
    const invited = await carolOnB.waitFor((f) => f.type === "invited", 10_000);
    expect(invited).toMatchObject({ invite: { room: priv.body.room.id, by: alice.user } });
    expect(onB.frames.some((f) => f.type === "invited")).toBe(false);
    const joined = await carolOnB.request({
      type: "invite_answer",
      room: priv.body.room.id,
      accept: true,
    });
    expect(joined).toMatchObject({ type: "joined", room: { id: priv.body.room.id } });
  });

  for (const action of ["kick", "ban"] as const) {
    it(`${action}s on node A detach the target's live socket on node B at once`, async () => {
      const { a, alice, bob, room, onA, onB } = await setup();
      const res = await api(
        a.url,
        "POST",
        `/api/rooms/${room}/moderation`,
        { action, user: bob.user.name, reason: "test" },
        alice.token,
      );
      expect(res.status).toBe(204);
      const removed = await onB.waitFor((f) => f.type === "removed", 10_000);
      expect(removed).toEqual({
        type: "removed",
        room,
        reason: action === "kick" ? "kicked" : "banned",
      });
      await onA.request({ type: "send", room, cid: unique("c"), body: "after" });
      // Bob's socket, still open, neither hears the room nor can read it.
      const history = await onB.request({ type: "history", room });
      expect(history).toMatchObject({ type: "error", code: "NOT_MEMBER" });
      await Bun.sleep(300);
      expect(onB.messages(room).some((m) => m.body === "after")).toBe(false);
      const rejoin = await onB.request<ServerFrameOf<"joined"> | ServerFrameOf<"error">>({
        type: "join",
        room,
      });
      if (action === "ban") expect(rejoin).toMatchObject({ type: "error", code: "BANNED" });
      else expect(rejoin.type).toBe("joined");
    });
  }
});
