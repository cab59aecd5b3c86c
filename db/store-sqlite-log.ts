/** The SQLite store's message log (message-log.ts): the append, the log's pages and search. */
import type { Database } from "bun:sqlite";
import type { AppendRequest, AppendResult, MessageLog, SearchQuery } from "./message-log.ts";
import { ftsMatch, toHit } from "./search-fts.ts";
import { type Appender, createAppender } from "./store-sqlite-append.ts";
import { prepare, type Queries, toEntry, toMessage } from "./store-sqlite-queries.ts";

export class SqliteMessageLog implements MessageLog {
  private readonly q: Queries;
  /**
   * Appends commit on the calling thread. A writer thread with its own connection was measured
   * and lost here: on 2 cores it competes with the event loop and adds a round trip per batch
   * (latency p99 9.9-12.0 ms against 6.1-7.8 ms inline; docs/performance.md).
   */
  private readonly appendBatch: Appender;

  constructor(db: Database) {
    this.q = prepare(db);
    this.appendBatch = createAppender(db);
  }

  async append(batch: readonly AppendRequest[]): Promise<AppendResult[]> {
    return this.appendBatch(batch);
  }

  async messagesAfter(roomId: number, after: number, limit: number) {
    return this.q.messagesAfter.all(roomId, after, limit).map(toMessage);
  }

  async messagesBefore(roomId: number, before: number, limit: number) {
    return this.q.messagesBefore.all(roomId, before, limit).map(toMessage).reverse();
  }

  async logAfter(roomId: number, after: number, limit: number) {
    return this.q.logAfter.all(roomId, after, limit).map(toEntry);
  }

  async logBefore(roomId: number, before: number, limit: number) {
    return this.q.logBefore.all(roomId, before, limit).map(toEntry).reverse();
  }

  async findMessage(roomId: number, seq: number) {
    const row = this.q.findMessage.get(roomId, seq);
    return row ? toMessage(row) : undefined;
  }

  async search(userId: number, q: SearchQuery) {
    const match = ftsMatch(q.terms);
    const b = q.before ?? { ts: Number.MAX_SAFE_INTEGER, room: 0, seq: 0 };
    const rows = this.q.search.all(
      match,
      userId,
      q.room ?? null,
      b.ts,
      q.before ? b.room * 4294967296 + b.seq : Number.MAX_SAFE_INTEGER,
      q.limit,
    );
    return rows.map((row) => toHit(row, q.terms));
  }
}
