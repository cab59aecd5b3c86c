/**
 * Message events across two nodes on PostgreSQL and Redis: an edit, a reaction and a delete made
 * on one node reach a reader on the other, sealed ones in a DM too.
 */
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { RoomEvent, ServerFrameOf } from "../src/protocol/index.ts";
import { connect, createRoom, joinRoom, register } from "./support/client.ts";
import { Cluster } from "./support/cluster.ts";
import { converse } from "./support/conversation.ts";
import {
  type Ack,
  change,
  log,
  messageEventsSuite,
  send,
  waitSeq,
} from "./support/message-events.ts";
import { assertReachable, postgresGate, redisGate } from "./support/services.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

messageEventsSuite();

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.remove();
  cluster = undefined;
});

const pg = await postgresGate();
const redis = await redisGate();

describe.skipIf(pg.skip || redis.skip)("message events across two nodes", () => {
  it("delivers an edit, a reaction and a delete made on one node to a reader on the other", async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
    cluster = await Cluster.create();
    const one = await cluster.node();
    const two = await cluster.node();
    const alice = await register(one.url);
    const bob = await register(two.url);
    const room = await createRoom(one.url, alice.token);
    await joinRoom(two.url, bob.token, room);
    const a = await connect(one.wsUrl, alice.token);
    const b = await connect(two.wsUrl, bob.token);
    await a.request({ type: "join", room });
    await b.request({ type: "join", room });
    const m = await send(a, room, "across");
    await change(a, room, { kind: "edit", target: m.seq, body: "across nodes" });
    await change(b, room, { kind: "react", target: m.seq, emoji: "👋" });
    const del = (await change(a, room, { kind: "delete", target: m.seq })) as Ack;
    await waitSeq(b, room, del.seq);
    await waitSeq(a, room, del.seq);
    for (const ws of [a, b]) {
      expect(log(ws, room).map((e) => ("kind" in e ? e.kind : "msg"))).toEqual([
        "join",
        "msg",
        "edit",
        "react",
        "delete",
      ]);
    }
    const page = await b.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(page.messages[0]).toMatchObject({ deleted: true, body: "" });
  });

  it("carries a DM's sealed edit, reaction and delete from one node to the other, and erases on delete", async () => {
    assertReachable("PostgreSQL", pg);
    assertReachable("Redis", redis);
    cluster = await Cluster.create();
    const one = await cluster.node();
    const two = await cluster.node();
    const c = await converse("dm", one.url, one.wsUrl);
    const a = await connect(one.wsUrl, c.alice.token);
    const b = await connect(two.wsUrl, c.bob.token);
    await a.request({ type: "resume", rooms: [{ room: c.room, after: 0 }] });
    await b.request({ type: "resume", rooms: [{ room: c.room, after: 0 }] });
    const sendSealed = async (cid: string, text: string) =>
      a.request<Ack>({ type: "send", room: c.room, cid, ...(await c.payload(cid, text)) } as never);
    const m1 = await sendSealed("n-1", "sealed one");
    const m2 = await sendSealed("n-2", "sealed two");
    const sealedChange = async (cid: string, kind: "edit" | "react", text: string) =>
      a.request<Ack>({
        type: "event",
        room: c.room,
        cid,
        kind,
        target: m1.seq,
        ...(await c.payload(cid, text)),
      } as never);
    await sealedChange("n-e", "edit", "sealed one, edited");
    await sealedChange("n-r", "react", "👍");
    const del = await a.request<Ack>({
      type: "event",
      room: c.room,
      cid: "n-d",
      kind: "delete",
      target: m2.seq,
    } as never);
    await waitSeq(b, c.room, del.seq);
    const seen = log(b, c.room);
    expect(seen.map((e) => ("kind" in e ? e.kind : "msg"))).toEqual([
      "msg",
      "msg",
      "edit",
      "react",
      "delete",
    ]);
    expect(seen.slice(2, 4).every((e) => (e as RoomEvent).envelope !== undefined)).toBe(true);
    expect((seen[3] as RoomEvent).emoji).toBeUndefined();
    // History on the other node: the edited message carries the edit's envelope, the deleted
    // one none at all.
    const page = await b.request<ServerFrameOf<"history">>({ type: "history", room: c.room });
    const edited = page.messages.find((x) => x.seq === m1.seq);
    expect(edited?.edited).toBeGreaterThan(0);
    expect(edited?.envelope?.id).toBe("n-e");
    expect(page.messages.find((x) => x.seq === m2.seq)).toMatchObject({ deleted: true, body: "" });
    expect(page.messages.find((x) => x.seq === m2.seq)?.envelope).toBeUndefined();
  });
});
