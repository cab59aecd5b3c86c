/**
 * The append transaction of the SQLite store: a batch in one IMMEDIATE transaction, each
 * message checked (duplicate client id, membership), given the room's next seq, and inserted.
 * Shared by the inline writer and the writer thread, so there is one implementation.
 */
import type { Database } from "bun:sqlite";
import type { Message } from "../src/protocol/index.ts";
import type { AppendRequest, AppendResult } from "./store.ts";
import { type MessageRow, prepare, toMessage } from "./store-sqlite-queries.ts";

export type Appender = (batch: readonly AppendRequest[]) => AppendResult[];

export function createAppender(db: Database): Appender {
  const q = prepare(db);

  function appendOne(req: AppendRequest): AppendResult {
    // The cheap probe first: reading the full row costs ~10x more and is almost never needed.
    if (q.hasClientId.get(req.sender.id, req.cid) !== null) {
      const existing = q.findByClientId.get(req.sender.id, req.cid) as MessageRow;
      return { ok: true, message: toMessage(existing), duplicate: true };
    }
    const member = q.mutedUntil.get(req.room, req.sender.id);
    if (member === null) {
      return { ok: false, code: q.roomExists.get(req.room) ? "NOT_MEMBER" : "ROOM_NOT_FOUND" };
    }
    // Checked in the same transaction as the insert, so a mute applied on any node holds here.
    if (member.until > req.ts) return { ok: false, code: "MUTED" };
    const bumped = q.bumpSeq.get(req.room);
    if (!bumped) return { ok: false, code: "ROOM_NOT_FOUND" };
    q.insertMessage.run(
      req.room,
      bumped.seq,
      req.sender.id,
      req.cid,
      req.body,
      req.sealed ? 1 : 0,
      req.ts,
      req.file ? JSON.stringify(req.file) : null,
    );
    const message: Message = {
      room: req.room,
      seq: bumped.seq,
      ts: req.ts,
      from: req.sender,
      cid: req.cid,
      body: req.sealed ? "" : req.body,
    };
    if (req.sealed) message.envelope = JSON.parse(req.body);
    if (req.file) message.file = req.file;
    return { ok: true, duplicate: false, message };
  }

  return db.transaction((batch: readonly AppendRequest[]) => batch.map(appendOne)).immediate;
}
