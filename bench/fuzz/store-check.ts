/**
 * Checks on the database file itself, read with a separate read-only connection: SQLite's own
 * integrity check, gapless seqs, messages that must not change, and acked messages stored as
 * the server received them.
 */
import { Database } from "bun:sqlite";
import type { Message } from "../../src/protocol/index.ts";
import type { Violation } from "./violations.ts";

export interface StoredMessage {
  room: number;
  seq: number;
  sender: number;
  cid: string;
  body: string;
  ts: number;
  /** An event's kind (a join, an edit…); null for a message. */
  kind?: string | null;
}

/**
 * Read-only while a server runs. Once it is gone (stopped, or killed mid-write), open it
 * writable: a hot WAL after a crash needs recovery, which a read-only connection cannot do.
 */
function open(path: string, serverGone: boolean): Database {
  return serverGone
    ? new Database(path, { readwrite: true, create: false, strict: true })
    : new Database(path, { readonly: true, strict: true });
}

export function readMessages(path: string, serverGone = false): StoredMessage[] {
  const db = open(path, serverGone);
  try {
    return db
      .query<StoredMessage, []>(
        `SELECT room_id AS room, seq, sender_id AS sender, client_id AS cid, body, ts, kind
         FROM messages ORDER BY room_id, seq`,
      )
      .all();
  } finally {
    db.close();
  }
}

export function key(room: number, seq: number): string {
  return `${room}:${seq}`;
}

/**
 * integrity_check, foreign keys, and per room: seqs 1..last_seq with none missing. Only once
 * the server is gone.
 */
export function checkDatabase(path: string): Violation[] {
  const out: Violation[] = [];
  const db = open(path, true);
  try {
    const integrity = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    const verdict = integrity.map((r) => r.integrity_check).join("; ");
    if (verdict !== "ok")
      out.push({ invariant: "integrity", detail: `integrity_check: ${verdict}` });
    const fk = db.query<Record<string, unknown>, []>("PRAGMA foreign_key_check").all();
    if (fk.length > 0) {
      out.push({ invariant: "integrity", detail: `foreign_key_check: ${JSON.stringify(fk[0])}` });
    }
    const rooms = db
      .query<{ id: number; last: number; n: number; hi: number | null }, []>(
        `SELECT r.id, r.last_seq AS last, count(m.seq) AS n, max(m.seq) AS hi
         FROM rooms r LEFT JOIN messages m ON m.room_id = r.id GROUP BY r.id`,
      )
      .all();
    for (const r of rooms) {
      if (r.n !== r.last || (r.hi ?? 0) !== r.last) {
        out.push({
          invariant: "gapless",
          detail: `room ${r.id}: last_seq ${r.last}, ${r.n} messages, highest seq ${r.hi}`,
        });
      }
    }
  } finally {
    db.close();
  }
  return out;
}

/** Every message in `before` is still there, unchanged. */
export function compareSnapshot(before: StoredMessage[], after: StoredMessage[]): Violation[] {
  const now = new Map(after.map((m) => [key(m.room, m.seq), m]));
  const out: Violation[] = [];
  for (const m of before) {
    const later = now.get(key(m.room, m.seq));
    if (!later) {
      out.push({ invariant: "message-deleted", detail: `room ${m.room} seq ${m.seq} is gone` });
    } else if (JSON.stringify(later) !== JSON.stringify(m)) {
      out.push({
        invariant: "message-changed",
        detail: `room ${m.room} seq ${m.seq} changed`,
        sent: JSON.stringify(m),
        stored: JSON.stringify(later),
      });
    }
  }
  return out;
}

/** Every acknowledged message is stored at its seq, as the server received it. */
export function checkAcked(
  acked: readonly { room: number; seq: number; cid: string; body: string; sender: number }[],
  stored: StoredMessage[],
): Violation[] {
  const byKey = new Map(stored.map((m) => [key(m.room, m.seq), m]));
  const out: Violation[] = [];
  for (const a of acked) {
    const m = byKey.get(key(a.room, a.seq));
    if (!m) {
      out.push({
        invariant: "acked-lost",
        detail: `acked room ${a.room} seq ${a.seq} is not stored`,
      });
      continue;
    }
    if (m.sender !== a.sender) {
      out.push({
        invariant: "stored-as-sent",
        detail: `room ${a.room} seq ${a.seq}: another sender`,
      });
    }
    if (m.cid !== a.cid) {
      out.push({
        invariant: "stored-as-sent",
        detail: `room ${a.room} seq ${a.seq}: the stored cid differs from the acked one`,
        sent: a.cid,
        stored: m.cid,
      });
    }
    if (m.body !== a.body) {
      out.push({
        invariant: "stored-as-sent",
        detail: `room ${a.room} seq ${a.seq}: the stored body differs from the acked one`,
        sent: a.body,
        stored: m.body,
      });
    }
  }
  return out;
}

/** What a client received in a room is exactly the store's history of it, message for message. */
export function compareDelivered(
  received: readonly Message[],
  stored: readonly StoredMessage[],
  room: number,
): Violation[] {
  // Messages only: the log's events (joins, edits…) are checked for order by the bystander.
  const history = stored.filter((m) => m.room === room && (m.kind ?? null) === null);
  const bySeq = new Map(history.map((m) => [m.seq, m]));
  const out: Violation[] = [];
  if (received.length !== history.length) {
    out.push({
      invariant: "delivered-as-stored",
      detail: `room ${room}: ${received.length} messages delivered, ${history.length} stored`,
    });
  }
  for (const m of received) {
    const s = bySeq.get(m.seq);
    if (!s) continue;
    for (const field of ["cid", "body"] as const) {
      if (s[field] !== m[field]) {
        out.push({
          invariant: "delivered-as-stored",
          detail: `room ${room} seq ${m.seq}: the delivered ${field} differs from the stored one`,
          sent: m[field],
          stored: s[field],
        });
      }
    }
    if (s.sender !== m.from.id || s.ts !== m.ts) {
      out.push({
        invariant: "delivered-as-stored",
        detail: `room ${room} seq ${m.seq}: sender or time differ from the store`,
      });
    }
  }
  return out;
}
