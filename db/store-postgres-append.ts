/**
 * The PostgreSQL store's append: one transaction that assigns a batch's seqs under the rooms'
 * row locks, recognises cids already stored, and is rerun when it lost a race to another node.
 */
import { SQL } from "bun";
import type { Message } from "../src/protocol/index.ts";
import { eventData, isEvent, isRoomEvent, type LogEntry } from "./log-entry.ts";
import type { AppendRequest, AppendResult } from "./store.ts";
import { applyEvent, eventOf, quoteFor } from "./store-postgres-events.ts";
import type { Pool } from "./store-postgres-pool.ts";
import { type Int, type MessageRow, toEntry } from "./store-postgres-rows.ts";

/** A transaction that lost a race (a deadlock, or the same cid committed meanwhile) is rerun. */
const APPEND_ATTEMPTS = 5;
/** SQLSTATEs after which the whole append transaction is safe to run again. */
const RETRYABLE = new Set(["40P01", "40001"]);

/** The identity of a message for idempotency; sender ids hold no ":" so the key is unambiguous. */
function clientKey(senderId: number, cid: string): string {
  return `${senderId}:${cid}`;
}

function sqlState(err: unknown): string | undefined {
  return err instanceof SQL.PostgresError ? err.errno : undefined;
}

/** Appends a batch in one transaction on `pool`, run again after a lost race. */
export async function appendBatch(
  pool: Pool,
  batch: readonly AppendRequest[],
): Promise<AppendResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.sql.begin((tx) => appendIn(tx, pool, batch));
    } catch (err) {
      // Connection errors are not retried here: if COMMIT was sent, its outcome is unknown,
      // and a rerun would report the stored messages as duplicates that nobody published.
      // The caller refuses the batch, and the clients' retries with the same cids are safe.
      if (attempt < APPEND_ATTEMPTS && isLostRace(err)) continue;
      throw err;
    }
  }
}

async function appendIn(
  tx: SQL,
  pool: Pool,
  batch: readonly AppendRequest[],
): Promise<AppendResult[]> {
  const roomIds = [...new Set(batch.map((r) => r.room))].sort((a, b) => a - b);
  const senders = [...new Set(batch.map((r) => r.sender.id))];
  // The three reads go out together, pipelined on the transaction's connection: one round trip.
  // Lock every room of the batch in id order, in one statement: two batches that share rooms
  // queue on the first shared one instead of deadlocking. NO KEY UPDATE leaves members and
  // messages free to reference the row meanwhile. The duplicate and membership reads need no
  // lock: a cid committed by another node after our read fails our insert (messages_client_id),
  // and the transaction is rerun (isLostRace).
  // Two "= ANY" conditions rather than a join on unnest(): the prepared statement's generic
  // plan then always walks the index, where the join drifted to scanning all messages. The
  // cross matches this admits (one sender's cid under another sender) are dropped by key.
  const [locked, stored, memberRows] = await Promise.all([
    tx`
      SELECT id, last_seq, archived_at FROM rooms WHERE id = ANY(${roomIds}::bigint[])
      ORDER BY id FOR NO KEY UPDATE`,
    tx`
      SELECT ${pool.messages} FROM messages m JOIN users u ON u.id = m.sender_id
      WHERE m.sender_id = ANY(${senders}::bigint[])
        AND m.client_id = ANY(${batch.map((r) => r.cid)}::text[])`,
    tx`
      SELECT room_id, user_id, muted_until FROM members
      WHERE room_id = ANY(${roomIds}::bigint[]) AND user_id = ANY(${senders}::bigint[])`,
  ]);
  const head = new Map<number, number>(
    (locked as { id: Int; last_seq: Int }[]).map((r) => [Number(r.id), Number(r.last_seq)]),
  );
  const archived = new Set(
    (locked as { id: Int; archived_at: Int | null }[])
      .filter((r) => r.archived_at !== null)
      .map((r) => Number(r.id)),
  );
  const known = new Map<string, LogEntry>();
  for (const row of stored as MessageRow[]) {
    const m = toEntry(row);
    known.set(clientKey(m.from.id, m.cid), m);
  }
  // Each member's mute end, read in the same transaction as the insert: a mute from any node holds.
  const members = new Map(
    (memberRows as { room_id: Int; user_id: Int; muted_until: Int }[]).map((r) => [
      `${r.room_id}:${r.user_id}`,
      Number(r.muted_until),
    ]),
  );

  const results: AppendResult[] = [];
  const fresh: { entry: LogEntry; req: AppendRequest }[] = [];
  for (const req of batch) {
    const key = clientKey(req.sender.id, req.cid);
    const original = known.get(key);
    if (original) {
      results.push(
        isEvent(original)
          ? { ok: true, event: original, duplicate: true }
          : { ok: true, message: original, duplicate: true },
      );
      continue;
    }
    const last = head.get(req.room);
    const mutedUntil = members.get(`${req.room}:${req.sender.id}`);
    if (mutedUntil === undefined || last === undefined) {
      results.push({ ok: false, code: last === undefined ? "ROOM_NOT_FOUND" : "NOT_MEMBER" });
      continue;
    }
    // A muted member sends nothing, events (edits, reactions) included: read-only until then.
    // The server's own room events (their leave) still go in.
    if (mutedUntil > req.ts && !isRoomEvent(req)) {
      results.push({ ok: false, code: "MUTED" });
      continue;
    }
    // An archived room is read-only; the server's own room events (a leave) still go in.
    if (archived.has(req.room) && !isRoomEvent(req)) {
      results.push({ ok: false, code: "ROOM_ARCHIVED" });
      continue;
    }
    // Events and replies read their target, under the room's lock: the rare, slower path.
    if (req.event) {
      const refused = await applyEvent(tx, req);
      if (refused) {
        results.push({ ok: false, code: refused });
        continue;
      }
      const event = eventOf(req, last + 1);
      head.set(req.room, event.seq);
      known.set(key, event);
      fresh.push({ entry: event, req });
      results.push({ ok: true, event, duplicate: false });
      continue;
    }
    const quote = req.reply === undefined ? undefined : await quoteFor(tx, pool, req);
    if (quote === null) {
      results.push({ ok: false, code: "REPLY_NOT_FOUND" });
      continue;
    }
    const message: Message = {
      room: req.room,
      seq: last + 1,
      ts: req.ts,
      from: req.sender,
      cid: req.cid,
      body: req.sealed ? "" : req.body,
    };
    if (req.sealed) message.envelope = JSON.parse(req.body);
    if (req.file) message.file = req.file;
    if (quote) message.reply = quote;
    head.set(req.room, message.seq);
    known.set(key, message);
    fresh.push({ entry: message, req });
    results.push({ ok: true, message, duplicate: false });
  }
  if (fresh.length === 0) return results;

  // The insert and the heads' bump go out together too.
  const bumped = roomIds.filter((id) => fresh.some((f) => f.entry.room === id));
  const ev = (f: { req: AppendRequest }) => f.req.event;
  const insert = tx`
    INSERT INTO messages (room_id, seq, sender_id, client_id, body, sealed, ts, file,
      reply_to, kind, target, data)
    SELECT * FROM unnest(
      ${fresh.map((f) => f.entry.room)}::bigint[], ${fresh.map((f) => f.entry.seq)}::bigint[],
      ${fresh.map((f) => f.entry.from.id)}::bigint[], ${fresh.map((f) => f.req.cid)}::text[],
      ${fresh.map((f) => (ev(f)?.kind === "delete" ? "" : f.req.body))}::text[],
      ${fresh.map((f) => f.req.sealed === true)}::boolean[],
      ${fresh.map((f) => f.entry.ts)}::bigint[],
      ${fresh.map((f) => (f.req.file ? JSON.stringify(f.req.file) : null))}::text[],
      ${fresh.map((f) => f.req.reply ?? null)}::bigint[],
      ${fresh.map((f) => ev(f)?.kind ?? null)}::text[],
      ${fresh.map((f) => ev(f)?.target ?? null)}::bigint[],
      ${fresh.map((f) => {
        const change = ev(f);
        return change ? eventData(change) : null;
      })}::text[])`;
  const bump = tx`
    UPDATE rooms SET last_seq = v.seq
    FROM unnest(${bumped}::bigint[], ${bumped.map((id) => head.get(id) as number)}::bigint[])
      AS v(id, seq)
    WHERE rooms.id = v.id`;
  await Promise.all([insert, bump]);
  return results;
}

/**
 * A deadlock, a serialization failure, or the same (sender, cid) committed by another node
 * between our check and our insert: the rerun sees the other transaction's rows.
 */
function isLostRace(err: unknown): boolean {
  const state = sqlState(err);
  if (state === undefined) return false;
  if (RETRYABLE.has(state)) return true;
  return state === "23505" && (err as { constraint?: string }).constraint === "messages_client_id";
}
