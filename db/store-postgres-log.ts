/**
 * The PostgreSQL store's reads of the room log: messages and events together, in seq order
 * (replay, resume, the sequencer's fills), and one message in its current state.
 */
import type { Pool } from "./store-postgres-pool.ts";
import { type MessageRow, toEntry, toMessage } from "./store-postgres-rows.ts";

export async function logAfter(
  { sql, messages }: Pool,
  room: number,
  after: number,
  limit: number,
) {
  const rows = await sql`
    SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
    WHERE m.room_id = ${room} AND m.seq > ${after} ORDER BY m.seq LIMIT ${limit}`;
  return (rows as MessageRow[]).map(toEntry);
}

export async function logBefore(
  { sql, messages }: Pool,
  room: number,
  before: number,
  limit: number,
) {
  const rows = await sql`
    SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
    WHERE m.room_id = ${room} AND m.seq < ${before} ORDER BY m.seq DESC LIMIT ${limit}`;
  return (rows as MessageRow[]).map(toEntry).reverse();
}

export async function findMessage({ sql, messages }: Pool, room: number, seq: number) {
  const [row] = await sql`
    SELECT ${messages} FROM messages m JOIN users u ON u.id = m.sender_id
    WHERE m.room_id = ${room} AND m.seq = ${seq} AND m.kind IS NULL`;
  return row ? toMessage(row as MessageRow) : undefined;
}
