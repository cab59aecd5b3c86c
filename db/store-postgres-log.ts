/**
 * The PostgreSQL store's message log (message-log.ts): the append (its transaction in
 * store-postgres-append.ts, on a pool of its own), and the log's reads: messages and events
 * together in seq order (replay, resume, the sequencer's fills), messages only (history), one
 * message in its current state, and search.
 */
import type { AppendRequest, AppendResult, MessageLog, SearchQuery } from "./message-log.ts";
import { appendBatch } from "./store-postgres-append.ts";
import type { Run } from "./store-postgres-pool.ts";
import { type Int, type MessageRow, toEntry, toMessage } from "./store-postgres-rows.ts";

export class PostgresMessageLog implements MessageLog {
  /** `runAppend` runs on the appends' own pool, so a storm of reads never delays a send. */
  constructor(
    private readonly run: Run,
    private readonly runAppend: Run,
  ) {}

  async append(batch: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    return this.runAppend((pool) => appendBatch(pool, batch));
  }

  async messagesAfter(roomId: number, after: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${roomId} AND m.seq > ${after} AND m.kind IS NULL
        ORDER BY m.seq LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toMessage);
  }

  async messagesBefore(roomId: number, before: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${roomId} AND m.seq < ${before} AND m.kind IS NULL
        ORDER BY m.seq DESC LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toMessage).reverse();
  }

  async logAfter(room: number, after: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${room} AND m.seq > ${after} ORDER BY m.seq LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toEntry);
  }

  async logBefore(room: number, before: number, limit: number) {
    const rows = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${room} AND m.seq < ${before} ORDER BY m.seq DESC LIMIT ${limit}`,
    );
    return (rows as MessageRow[]).map(toEntry).reverse();
  }

  async findMessage(room: number, seq: number) {
    const [row] = await this.run(
      ({ sql, messages }) => sql`
        SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = ${room} AND m.seq = ${seq} AND m.kind IS NULL`,
    );
    return row ? toMessage(row as MessageRow) : undefined;
  }

  async search(userId: number, q: SearchQuery) {
    // Each term a quoted lexeme matched as a prefix, all required (terms are letters and digits).
    const query = q.terms.map((t) => `'${t}':*`).join(" & ");
    const b = q.before ?? { ts: Number.MAX_SAFE_INTEGER, room: Number.MAX_SAFE_INTEGER, seq: 0 };
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT m.room_id, m.seq, m.ts, m.sender_id, u.name,
          ts_headline('simple', m.body, tq,
            'StartSel="", StopSel="", MaxWords=24, MinWords=8, MaxFragments=1, FragmentDelimiter=" … "')
            AS snippet
        FROM messages m JOIN users u ON u.id = m.sender_id,
          to_tsquery('simple', ${query}) tq
        WHERE m.search @@ tq
          AND m.room_id IN (SELECT mm.room_id FROM members mm JOIN rooms r ON r.id = mm.room_id
            WHERE mm.user_id = ${userId} AND r.kind = 'room')
          AND (${q.room ?? null}::bigint IS NULL OR m.room_id = ${q.room ?? null}::bigint)
          AND (m.ts, m.room_id, m.seq) < (${b.ts}::bigint, ${b.room}::bigint, ${q.before ? b.seq : Number.MAX_SAFE_INTEGER}::bigint)
        ORDER BY m.ts DESC, m.room_id DESC, m.seq DESC LIMIT ${q.limit}`,
    );
    return (
      rows as { room_id: Int; seq: Int; ts: Int; sender_id: Int; name: string; snippet: string }[]
    ).map((r) => ({
      room: Number(r.room_id),
      seq: Number(r.seq),
      ts: Number(r.ts),
      from: { id: Number(r.sender_id), name: r.name },
      snippet: r.snippet,
    }));
  }
}
