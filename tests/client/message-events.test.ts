import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { Connection, type Status } from "../../src/client-core/connection.ts";
import type { Message, RoomEvent, ServerFrameOf } from "../../src/protocol/index.ts";
import { connect, createRoom, joinRoom, register, unique } from "../support/client.ts";
import { spawnServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { GatedClock, until } from "./gated-clock.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("Connection and the event log", () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it("should pass on every event made during an outage once, in order, filling the gap from history", async () => {
    const db = join(dir.path, "events.db");
    // replay-max 3: the six events overflow the replay, so the gap is filled from history.
    let server = await spawnServer({ db, extraArgs: ["--replay-max", "3"] });
    const port = Number(new URL(server.url).port);
    try {
      const alice = await register(server.url);
      const bob = await register(server.url);
      const name = unique("r");
      const room = await createRoom(server.url, alice.token, name);
      await joinRoom(server.url, bob.token, room);
      const clock = new GatedClock();
      const conn = new Connection({ server: server.url, token: alice.token, clock });
      const entries: (Message | RoomEvent)[] = [];
      const statuses: Status[] = [];
      conn.on("message", (m) => entries.push(m));
      conn.on("event", (e) => entries.push(e));
      conn.on("status", (s) => statuses.push(s));
      conn.start();
      await conn.join(name);
      const b1 = await connect(server.wsUrl, bob.token);
      const m = await b1.request<ServerFrameOf<"ack">>({
        type: "send",
        room,
        cid: "b1",
        body: "draft",
      });
      await until(() => entries.some((e) => e.seq === m.seq), "the message");

      clock.held = true;
      await server.kill();
      await until(() => statuses.some((s) => s.kind === "reconnecting"), "reconnecting");
      server = await spawnServer({ db, port, extraArgs: ["--replay-max", "3"] });
      const b2 = await connect(server.wsUrl, bob.token);
      const change = (cid: string, fields: object) =>
        b2.request({ type: "event", room, cid, target: m.seq, ...fields } as never);
      await change("e1", { kind: "edit", body: "final text" });
      for (const [i, emoji] of ["👍", "🎉", "👀"].entries()) {
        await change(`r${i}`, { kind: "react", emoji });
      }
      await change("r-off", { kind: "react", emoji: "🎉", on: false });
      const last = await b2.request<ServerFrameOf<"ack">>({
        type: "send",
        room,
        cid: "b2",
        body: "after",
      });
      clock.release();
      await until(() => entries.some((e) => e.seq === last.seq), "everything to arrive");

      // Every entry of the log once, in order: bob's join (seq 1, a stored event), then his message
      // and the changes made while alice was away.
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: last.seq }, (_, i) => i + 1));
      const kinds = entries.map((e) => ("kind" in e ? `${e.kind}${e.emoji ?? ""}` : "msg"));
      expect(kinds).toEqual([
        "join",
        "msg",
        "edit",
        "react👍",
        "react🎉",
        "react👀",
        "react🎉",
        "msg",
      ]);
      // Our own change answers with an ack and comes back as an event like anyone's.
      const ack = await conn.change(room, { kind: "react", target: m.seq, emoji: "👍" });
      await until(() => entries.some((e) => e.seq === ack.seq), "our own event");
    } finally {
      await server.kill();
    }
  });
});
