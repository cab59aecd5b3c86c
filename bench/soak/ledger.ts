/**
 * The soak's accounting: what the clients sent, were acked and received, against what the
 * store holds. Lost: acked but not stored, or stored but not delivered to a member.
 * Duplicated: a seq delivered twice to a client, or one message stored twice.
 */
import type { StoredMessage } from "../fuzz/store-check.ts";
import type { SoakClient } from "./soak-client.ts";

export interface SoakCounts {
  sent: number;
  acked: number;
  stored: number;
  /** Distinct (client, room, seq) deliveries, and how many the memberships call for. */
  delivered: number;
  expectedDeliveries: number;
  lost: { ackedNotStored: number; storedNotDelivered: number; total: number };
  duplicated: { deliveredTwice: number; storedTwice: number; total: number };
  /** Acked with one seq but stored at another, or stored with another body. */
  mismatched: number;
  /** Queued but neither acked nor refused when the run ended: a stuck outbox. */
  unsent: number;
  /** Refused for good by the server. */
  refused: number;
  /** Deliveries out of order or skipping a seq. */
  disordered: number;
  /** Clients that stopped for good. */
  stopped: number;
  /** Examples, for the report. */
  examples: string[];
}

/** One of the room's own events (a join…) rather than a client's message. */
const isEvent = (m: StoredMessage) => (m.kind ?? null) !== null;

export function account(
  clients: readonly SoakClient[],
  stored: readonly StoredMessage[],
): SoakCounts {
  const examples: string[] = [];
  const note = (text: string) => {
    if (examples.length < 10) examples.push(text);
  };
  const byCid = new Map<string, StoredMessage[]>();
  const byBody = new Map<string, number>();
  // Bodies and cids are the clients' messages'; the room's own events (joins) have neither.
  for (const m of stored) {
    if (isEvent(m)) continue;
    const k = `${m.sender}:${m.cid}`;
    byCid.set(k, [...(byCid.get(k) ?? []), m]);
    byBody.set(`${m.sender}:${m.body}`, (byBody.get(`${m.sender}:${m.body}`) ?? 0) + 1);
  }
  const byRoom = new Map<number, StoredMessage[]>();
  for (const m of stored) byRoom.set(m.room, [...(byRoom.get(m.room) ?? []), m]);

  const c: SoakCounts = {
    sent: 0,
    acked: 0,
    stored: stored.filter((m) => !isEvent(m)).length,
    delivered: 0,
    expectedDeliveries: 0,
    lost: { ackedNotStored: 0, storedNotDelivered: 0, total: 0 },
    duplicated: { deliveredTwice: 0, storedTwice: 0, total: 0 },
    mismatched: 0,
    unsent: 0,
    refused: 0,
    disordered: 0,
    stopped: 0,
    examples,
  };
  for (const [k, list] of byCid) {
    if (list.length > 1) {
      c.duplicated.storedTwice += list.length - 1;
      note(`cid ${k} stored ${list.length} times`);
    }
  }
  for (const [k, n] of byBody) {
    // Bodies are unique per sender by construction: two rows mean a retry under a new cid.
    if (n > 1) {
      c.duplicated.storedTwice += n - 1;
      note(`body ${k} stored ${n} times`);
    }
  }

  for (const client of clients) {
    const user = client.account.user.id;
    c.sent += client.sent.size;
    c.acked += client.acked.size;
    c.refused += client.undeliverable.length;
    c.disordered += client.outOfOrder + client.skipped;
    c.duplicated.deliveredTwice += client.duplicates;
    if (client.stopped) {
      c.stopped++;
      note(`${client.name} stopped: ${client.stopped}`);
    }
    for (const [cid, seq] of client.acked) {
      const rows = byCid.get(`${user}:${cid}`);
      if (!rows) {
        c.lost.ackedNotStored++;
        note(`${client.name}: acked ${cid} (seq ${seq}) is not stored`);
        continue;
      }
      const sent = client.sent.get(cid);
      const row = rows[0] as StoredMessage;
      if (row.seq !== seq || (sent && (row.body !== sent.body || row.room !== sent.room))) {
        c.mismatched++;
        note(
          `${client.name}: ${cid} acked as seq ${seq}, stored as room ${row.room} seq ${row.seq}`,
        );
      }
    }
    for (const cid of client.sent.keys()) {
      if (client.acked.has(cid) || client.undeliverable.some((u) => u.cid === cid)) continue;
      c.unsent++;
      if (!byCid.has(`${user}:${cid}`)) note(`${client.name}: ${cid} never acked nor stored`);
      else note(`${client.name}: ${cid} stored but never acked`);
    }
    for (const room of client.rooms) {
      const got = client.received.get(room.id) ?? new Map();
      c.delivered += got.size;
      for (const m of byRoom.get(room.id) ?? []) {
        c.expectedDeliveries++;
        const d = got.get(m.seq);
        if (!d) {
          c.lost.storedNotDelivered++;
          note(`${client.name} never got room ${room.id} seq ${m.seq}`);
        } else if (
          isEvent(m) !== "kind" in d ||
          (!isEvent(m) && (d.cid !== m.cid || d.body !== m.body))
        ) {
          c.mismatched++;
          note(`${client.name} got room ${room.id} seq ${m.seq} unlike the store`);
        }
      }
    }
  }
  c.lost.total = c.lost.ackedNotStored + c.lost.storedNotDelivered;
  c.duplicated.total = c.duplicated.deliveredTwice + c.duplicated.storedTwice;
  return c;
}

/** Whether the run failed: anything lost, duplicated, mismatched, stuck, refused or stopped. */
export function failed(c: SoakCounts): boolean {
  return (
    c.lost.total +
      c.duplicated.total +
      c.mismatched +
      c.unsent +
      c.refused +
      c.disordered +
      c.stopped >
    0
  );
}
