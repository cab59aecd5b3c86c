import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { StoredMessage } from "../bench/fuzz/store-check.ts";
import { account, failed } from "../bench/soak/ledger.ts";
import { runSoak } from "../bench/soak/run.ts";
import { SoakClient } from "../bench/soak/soak-client.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("the soak against a server killed with SIGKILL", () => {
  it("loses and duplicates nothing while 10 clients send through repeated kills and restarts", async () => {
    // Seed 34 plans kills about 4, 5 and 7 s after the clients start connecting. A restart on a
    // loaded machine can take seconds, so the clients keep sending until two kills have landed.
    const report = await runSoak({
      seed: 34,
      clients: 10,
      seconds: 10,
      killEvery: 3,
      rate: 2,
      minKills: 2,
    });
    const c = report.counts;
    expect(c.examples).toEqual([]);
    expect(report.kills.length).toBeGreaterThanOrEqual(2);
    expect(report.reconnects).toBeGreaterThanOrEqual(10 * 2);
    expect(report.drained).toBe(true);
    expect(report.store).toEqual([]);
    expect(report.serverErrors).toEqual([]);
    expect({ lost: c.lost.total, duplicated: c.duplicated.total }).toEqual({
      lost: 0,
      duplicated: 0,
    });
    expect(failed(c)).toBe(false);
    expect(c.sent).toBeGreaterThan(100);
    expect(c.acked).toBe(c.sent);
    expect(c.stored).toBe(c.sent);
    expect(c.delivered).toBe(c.expectedDeliveries);
    expect(c.delivered).toBeGreaterThan(c.stored);
  }, 120_000);
});

describe("the soak's ledger", () => {
  const room = { id: 1, name: "r" };
  const row = (seq: number, sender: number, cid: string, body = `b${cid}`): StoredMessage => ({
    room: 1,
    seq,
    sender,
    cid,
    body,
    ts: seq,
  });
  /** A client that never connects: its records are filled in by hand. */
  function client(id: number): SoakClient {
    const c = new SoakClient({ user: { id, name: `u${id}` }, token: "t" }, "http://127.0.0.1:9", [
      room,
    ]);
    c.received.set(1, new Map());
    return c;
  }
  function deliver(c: SoakClient, m: StoredMessage) {
    c.received.get(1)?.set(m.seq, {
      room: m.room,
      seq: m.seq,
      ts: m.ts,
      from: { id: m.sender, name: "x" },
      cid: m.cid,
      body: m.body,
    });
  }

  it("balances when every acked message is stored and reached every member", () => {
    const a = client(1);
    const b = client(2);
    const stored = [row(1, 1, "a1")];
    a.sent.set("a1", { cid: "a1", room: 1, body: "ba1" });
    a.acked.set("a1", 1);
    for (const c of [a, b]) deliver(c, stored[0] as StoredMessage);
    const counts = account([a, b], stored);
    expect(failed(counts)).toBe(false);
    expect(counts.delivered).toBe(2);
  });

  it("counts an acked message missing from the store as lost", () => {
    const a = client(1);
    a.sent.set("a1", { cid: "a1", room: 1, body: "ba1" });
    a.acked.set("a1", 1);
    const counts = account([a], []);
    expect(counts.lost.ackedNotStored).toBe(1);
    expect(failed(counts)).toBe(true);
  });

  it("counts a stored message a member never got as lost", () => {
    const a = client(1);
    const b = client(2);
    const stored = [row(1, 1, "a1")];
    a.sent.set("a1", { cid: "a1", room: 1, body: "ba1" });
    a.acked.set("a1", 1);
    deliver(a, stored[0] as StoredMessage);
    const counts = account([a, b], stored);
    expect(counts.lost.storedNotDelivered).toBe(1);
    expect(counts.examples).toEqual(["u2 never got room 1 seq 1"]);
  });

  it("counts a seq delivered twice and a message stored twice as duplicates", () => {
    const a = client(1);
    a.duplicates = 1;
    const stored = [row(1, 1, "a1", "same"), row(2, 1, "a2", "same")];
    for (const m of stored) deliver(a, m);
    const counts = account([a], stored);
    expect(counts.duplicated).toEqual({ deliveredTwice: 1, storedTwice: 1, total: 2 });
  });

  it("counts an outbox that never emptied as unsent", () => {
    const a = client(1);
    a.sent.set("a1", { cid: "a1", room: 1, body: "ba1" });
    const counts = account([a], []);
    expect(counts.unsent).toBe(1);
    expect(failed(counts)).toBe(true);
  });
});
