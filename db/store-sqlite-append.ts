/**
 * The append transaction of the SQLite store: a batch in one IMMEDIATE transaction, each
 * message or event checked (duplicate client id, membership, its target), given the room's next
 * seq, and inserted; an event is applied to its target in the same transaction. Runs on the
 * calling thread (a writer thread was measured and removed; see store-sqlite-log.ts); kept apart
 * from the store class so the hot path reads as one piece.
 */
import type { Database } from "bun:sqlite";
import type { Message, RoomEvent } from "../src/protocol/index.ts";
import { REACTIONS_PER_MESSAGE_MAX, REPLY_EXCERPT_MAX } from "../src/protocol/index.ts";
import { eventData, isEvent, isRoomEvent, withRoomFields } from "./log-entry.ts";
import type { AppendRefusal, AppendRequest, AppendResult } from "./store.ts";
import { type MessageRow, prepare, toEntry } from "./store-sqlite-queries.ts";

export type Appender = (batch: readonly AppendRequest[]) => AppendResult[];

type Queries = ReturnType<typeof prepare>;

/**
 * Adds a batch's new public messages to the full-text index in one statement. FTS5 writes its
 * pending terms out as a new segment at every statement savepoint, so one INSERT per message (the
 * trigger of migration 007) wrote a segment per message: ~45 µs of CPU each, three times the rest
 * of the append. One statement per batch, its rows in ascending rowid order (a lower rowid would
 * force a flush too), writes one segment per commit. rowid = room_id * 2^32 + seq, as in 007.
 */
const INDEX_FOR_SEARCH = `INSERT INTO message_search(rowid, body)
  SELECT m.room_id * 4294967296 + m.seq, m.body
  FROM json_each(?) j CROSS JOIN messages m ON m.room_id = j.value ->> 0 AND m.seq = j.value ->> 1
  ORDER BY m.room_id, m.seq`;

interface MemberRow {
  until: number;
  archived: number | null;
  /** The room's last seq. */
  seq: number;
}

export function createAppender(db: Database): Appender {
  const q = prepare(db);
  const indexForSearch = db.query<never, [string]>(INDEX_FOR_SEARCH);
  const readSeq = db.query<{ seq: number }, [number]>(
    "SELECT last_seq AS seq FROM rooms WHERE id = ?",
  );
  const writeSeq = db.query<never, [number, number]>("UPDATE rooms SET last_seq = ? WHERE id = ?");
  // The membership row with the room's head: one statement where two were.
  const memberOf = db.query<MemberRow, [number, number]>(
    `SELECT m.muted_until AS until, r.archived_at AS archived, r.last_seq AS seq
     FROM members m JOIN rooms r ON r.id = m.room_id WHERE m.room_id = ? AND m.user_id = ?`,
  );
  const insertMessage = db.query<
    never,
    [number, number, number, string, string, number, number, string | null, number | null]
  >(
    `INSERT INTO messages (room_id, seq, sender_id, client_id, body, sealed, ts, file, reply_to)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sender_id, client_id) DO NOTHING`,
  );
  /** [room, seq] of the batch's messages the full-text index takes, filled by appendOne. */
  let searchable: [number, number][] = [];
  /**
   * Per batch: each room's last seq handed out, read once and written back once at the end
   * (one UPDATE per room and batch instead of one per message), and each sender's membership
   * row, read once: nothing in the transaction changes memberships, and no other writer can
   * run inside it (IMMEDIATE).
   */
  let seqs = new Map<number, number>();
  let members = new Map<string, MemberRow | null>();
  /** Each room's last seq as the batch found it, read along with a membership row. */
  let heads = new Map<number, number>();

  function nextSeq(room: number): number | undefined {
    let seq = seqs.get(room) ?? heads.get(room);
    if (seq === undefined) {
      const row = readSeq.get(room);
      if (!row) return undefined;
      seq = row.seq;
    }
    seqs.set(room, ++seq);
    return seq;
  }

  function membership(room: number, user: number) {
    const key = `${room}:${user}`;
    let row = members.get(key);
    if (row === undefined) {
      row = memberOf.get(room, user);
      // Nothing writes last_seq before the batch's end, so this is the room's head as it began.
      if (row) heads.set(room, row.seq);
      members.set(key, row);
    }
    return row;
  }

  /** The entry an earlier send with this client id stored, answered as a duplicate. */
  function duplicateOf(req: AppendRequest): AppendResult {
    const existing = toEntry(q.findByClientId.get(req.sender.id, req.cid) as MessageRow);
    return isEvent(existing)
      ? { ok: true, event: existing, duplicate: true }
      : { ok: true, message: existing, duplicate: true };
  }

  function appendOne(req: AppendRequest): AppendResult {
    const member = membership(req.room, req.sender.id);
    // The hot path, a plain message from a member who may send: its insert is its own duplicate
    // probe (the unique index on the client id refuses a repeat), one statement instead of two.
    // Every other send probes first, so a retry still wins over a refusal as it always did.
    if (
      member !== null &&
      member.until <= req.ts &&
      member.archived === null &&
      !req.event &&
      req.reply === undefined
    ) {
      return insert(req, undefined);
    }
    // The cheap probe first: reading the full row costs ~10x more and is almost never needed.
    if (q.hasClientId.get(req.sender.id, req.cid) !== null) return duplicateOf(req);
    if (member === null) {
      return { ok: false, code: q.roomExists.get(req.room) ? "NOT_MEMBER" : "ROOM_NOT_FOUND" };
    }
    // Checked in the same transaction as the insert, so a mute applied on any node holds here;
    // a muted member sends nothing, events (edits, reactions) included; the server's own room
    // events (their leave) still go in.
    if (member.until > req.ts && !isRoomEvent(req)) return { ok: false, code: "MUTED" };
    // An archived room is read-only; the server's own room events (a leave) still go in.
    if (member.archived !== null && !isRoomEvent(req)) return { ok: false, code: "ROOM_ARCHIVED" };
    if (req.event) return appendEvent(q, req, nextSeq);
    let quoted: Message["reply"];
    if (req.reply !== undefined) {
      const t = q.findMessage.get(req.room, req.reply);
      if (!t) return { ok: false, code: "REPLY_NOT_FOUND" };
      const original = toEntry(t) as Message;
      quoted = { seq: original.seq, from: original.from, excerpt: excerpt(original.body) };
      if (original.deleted) quoted.deleted = true;
    }
    return insert(req, quoted);
  }

  /** Stores a message under the room's next seq; a repeated client id gives its seq back. */
  function insert(req: AppendRequest, quoted: Message["reply"]): AppendResult {
    const seq = nextSeq(req.room);
    if (seq === undefined) return { ok: false, code: "ROOM_NOT_FOUND" };
    const stored = insertMessage.run(
      req.room,
      seq,
      req.sender.id,
      req.cid,
      req.body,
      req.sealed ? 1 : 0,
      req.ts,
      req.file ? JSON.stringify(req.file) : null,
      req.reply ?? null,
    );
    if (stored.changes === 0) {
      // Nothing else ran between nextSeq and the insert: the seq is simply not used.
      seqs.set(req.room, seq - 1);
      return duplicateOf(req);
    }
    // What migration 007's trigger indexed: plain text, not sealed, not empty.
    if (!req.sealed && req.body !== "") searchable.push([req.room, seq]);
    const message: Message = {
      room: req.room,
      seq,
      ts: req.ts,
      from: req.sender,
      cid: req.cid,
      body: req.sealed ? "" : req.body,
    };
    if (req.sealed) message.envelope = JSON.parse(req.body);
    if (req.file) message.file = req.file;
    if (quoted) message.reply = quoted;
    return { ok: true, duplicate: false, message };
  }

  return db.transaction((batch: readonly AppendRequest[]) => {
    searchable = [];
    seqs = new Map();
    members = new Map();
    heads = new Map();
    const results = batch.map(appendOne);
    for (const [room, seq] of seqs) writeSeq.run(seq, room);
    if (searchable.length > 0) {
      searchable.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      indexForSearch.run(JSON.stringify(searchable));
    }
    return results;
  }).immediate;
}

/** The start of a message's text, as a reply quotes it. */
export function excerpt(body: string): string {
  return body.length <= REPLY_EXCERPT_MAX ? body : body.slice(0, REPLY_EXCERPT_MAX);
}

function appendEvent(
  q: Queries,
  req: AppendRequest,
  nextSeq: (room: number) => number | undefined,
): AppendResult {
  const change = req.event as NonNullable<AppendRequest["event"]>;
  const target = change.target;
  if (target !== undefined) {
    const t = q.target.get(req.room, target);
    if (!t || t.kind !== null) return { ok: false, code: "MESSAGE_NOT_FOUND" };
    if (t.deleted !== null) return { ok: false, code: "MESSAGE_DELETED" };
  }
  const refused = applyEvent(q, req, target);
  if (refused) return { ok: false, code: refused };
  const seq = nextSeq(req.room);
  if (seq === undefined) return { ok: false, code: "ROOM_NOT_FOUND" };
  const data = eventData(change);
  // A delete keeps no text of its own; everything else keeps what it changed to.
  const body = change.kind === "delete" ? "" : req.body;
  q.insertEvent.run(
    req.room,
    seq,
    req.sender.id,
    req.cid,
    body,
    req.sealed ? 1 : 0,
    req.ts,
    change.kind,
    target ?? null,
    data,
  );
  const event: RoomEvent = {
    room: req.room,
    seq,
    ts: req.ts,
    from: req.sender,
    cid: req.cid,
    kind: change.kind,
  };
  if (target !== undefined) event.target = target;
  if (req.sealed) {
    if (body !== "") event.envelope = JSON.parse(body);
  } else if (change.kind === "edit") event.body = body;
  else if (change.kind === "react") event.emoji = body;
  if (change.on !== undefined) event.on = change.on;
  withRoomFields(event, body, change.user);
  return { ok: true, duplicate: false, event };
}

/** The event's effect on its target, or why it is refused (before anything is written). */
function applyEvent(
  q: Queries,
  req: AppendRequest,
  target: number | undefined,
): AppendRefusal | undefined {
  const change = req.event as NonNullable<AppendRequest["event"]>;
  if (target === undefined) return undefined;
  switch (change.kind) {
    case "edit":
      q.editMessage.run(req.body, req.ts, req.room, target);
      return undefined;
    case "delete":
      q.eraseMessage.run(req.ts, req.room, target);
      q.eraseEvents.run(req.room, target);
      q.dropReactions.run(req.room, target);
      return undefined;
    case "react": {
      // Sealed reactions are opaque: the clients count them.
      if (req.sealed) return undefined;
      if (change.on === false) {
        q.removeReaction.run(req.room, target, req.body, req.sender.id);
        return undefined;
      }
      const now = q.reactionCount.get(req.body, req.room, target);
      if (now && !now.has && now.n >= REACTIONS_PER_MESSAGE_MAX) return "TOO_MANY_REACTIONS";
      q.addReaction.run(req.room, target, req.body, req.sender.id, req.ts);
      return undefined;
    }
  }
}
