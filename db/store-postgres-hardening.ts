/**
 * The PostgreSQL store's queries for the hardening features (migration 004): session controls,
 * WebSocket tickets, paged room lists, the per-user room cap and upload quotas. PostgresStore
 * delegates to these; they take its `run` so deadlines and pool swaps apply as everywhere.
 */
import type { FileRecord, RoomRecord, SessionInfo } from "./store.ts";
import type { Pool } from "./store-postgres-pool.ts";
import { type Int, type RoomRow, toRoom } from "./store-postgres-rows.ts";

export type Run = <T>(work: (pool: Pool) => Promise<T>) => Promise<T>;

interface FileRow {
  id: string;
  room_id: Int;
  uploader_id: Int;
  sha256: string;
  size: Int;
  name: string | null;
  type: string | null;
  created_at: Int;
}

export function toFileRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    room: Number(row.room_id),
    uploader: Number(row.uploader_id),
    sha256: row.sha256,
    size: Number(row.size),
    ...(row.name !== null ? { name: row.name } : {}),
    ...(row.type !== null ? { type: row.type } : {}),
    createdAt: Number(row.created_at),
  };
}

export async function listSessions(run: Run, userId: number, now: number): Promise<SessionInfo[]> {
  const rows = await run(
    ({ sql }) => sql`
      SELECT token_hash, created_at, last_seen_at, expires_at, agent FROM sessions
      WHERE user_id = ${userId} AND expires_at > ${now}
      ORDER BY created_at DESC, token_hash COLLATE "C"`,
  );
  return (rows as Record<string, Int>[]).map((r) => ({
    tokenHash: String(r.token_hash),
    createdAt: Number(r.created_at),
    lastSeenAt: Number(r.last_seen_at),
    expiresAt: Number(r.expires_at),
    agent: String(r.agent),
  }));
}

export async function deleteSessionsOf(run: Run, userId: number, keep = ""): Promise<string[]> {
  const rows = await run(
    ({ sql }) => sql`
      DELETE FROM sessions WHERE user_id = ${userId} AND token_hash <> ${keep}
      RETURNING token_hash`,
  );
  return (rows as { token_hash: string }[]).map((r) => r.token_hash);
}

export async function touchSession(run: Run, tokenHash: string, now: number, agent?: string) {
  const cut = agent === undefined ? null : agent.slice(0, 200);
  await run(
    ({ sql }) => sql`
      UPDATE sessions SET last_seen_at = ${now}, agent = coalesce(${cut}, agent)
      WHERE token_hash = ${tokenHash}`,
  );
}

export async function setPassword(run: Run, userId: number, passwordHash: string) {
  await run(
    ({ sql }) => sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${userId}`,
  );
}

export async function createTicket(run: Run, ticketHash: string, tokenHash: string, at: number) {
  await run(
    ({ sql }) => sql`
      INSERT INTO ws_tickets (ticket_hash, token_hash, expires_at)
      VALUES (${ticketHash}, ${tokenHash}, ${at})`,
  );
}

export async function consumeTicket(run: Run, ticketHash: string, now: number) {
  const [row] = await run(
    ({ sql }) => sql`
      DELETE FROM ws_tickets WHERE ticket_hash = ${ticketHash} AND expires_at > ${now}
      RETURNING token_hash`,
  );
  return row ? String(row.token_hash) : undefined;
}

export async function deleteExpiredTickets(run: Run, now: number) {
  await run(({ sql }) => sql`DELETE FROM ws_tickets WHERE expires_at <= ${now}`);
}

export async function listRoomsPage(
  run: Run,
  after: string | undefined,
  limit: number,
): Promise<RoomRecord[]> {
  // COLLATE "C" sorts by code point, as SQLite's default BINARY collation does.
  const rows = await run(
    ({ sql, rooms }) => sql`
      SELECT ${rooms} FROM rooms r
      WHERE r.kind = 'room' AND r.visibility = 'public' AND r.name_key COLLATE "C" > ${after ?? ""}
      ORDER BY r.name_key COLLATE "C" LIMIT ${limit}`,
  );
  return (rows as RoomRow[]).map(toRoom);
}

export async function joinedRooms(run: Run, userId: number): Promise<RoomRecord[]> {
  const rows = await run(
    ({ sql, rooms }) => sql`
      SELECT ${rooms} FROM members m JOIN rooms r ON r.id = m.room_id
      WHERE m.user_id = ${userId} AND r.kind = 'room' ORDER BY r.name_key COLLATE "C"`,
  );
  return (rows as RoomRow[]).map(toRoom);
}

export async function countRoomsCreatedBy(run: Run, userId: number): Promise<number> {
  const [row] = await run(
    ({ sql }) => sql`
      SELECT count(*)::int AS n FROM rooms WHERE created_by = ${userId} AND kind = 'room'`,
  );
  return Number(row?.n ?? 0);
}

export async function blockersOf(run: Run, userId: number): Promise<number[]> {
  const rows = await run(({ sql }) => sql`SELECT user_id FROM blocks WHERE blocked_id = ${userId}`);
  return (rows as { user_id: Int }[]).map((r) => Number(r.user_id));
}

export async function acceptedBy(run: Run, userId: number): Promise<number[]> {
  const rows = await run(
    ({ sql }) => sql`SELECT user_id FROM contacts WHERE contact_id = ${userId}`,
  );
  return (rows as { user_id: Int }[]).map((r) => Number(r.user_id));
}

export async function uploadedBytes(run: Run, userId: number, since: number): Promise<number> {
  const [row] = await run(
    ({ sql }) => sql`
      SELECT coalesce(sum(size), 0)::bigint AS n FROM files
      WHERE uploader_id = ${userId} AND created_at >= ${since}`,
  );
  return Number(row?.n ?? 0);
}

export async function unsharedFiles(run: Run, before: number, limit: number) {
  const rows = await run(
    ({ sql }) => sql`
      SELECT id, room_id, uploader_id, sha256, size, name, type, created_at FROM files f
      WHERE f.created_at < ${before} AND f.name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM messages m WHERE m.room_id = f.room_id AND m.file IS NOT NULL
          AND (m.file::jsonb ->> 'id') = f.id)
      ORDER BY f.created_at LIMIT ${limit}`,
  );
  return (rows as FileRow[]).map(toFileRecord);
}

export async function deleteFile(run: Run, id: string) {
  return run(({ sql }) =>
    sql.begin(async (tx) => {
      const [row] = await tx`DELETE FROM files WHERE id = ${id} RETURNING sha256`;
      if (!row) return { deleted: false, blobUnused: false };
      const [used] = await tx`SELECT 1 FROM files WHERE sha256 = ${row.sha256} LIMIT 1`;
      return { deleted: true, blobUnused: !used };
    }),
  );
}
