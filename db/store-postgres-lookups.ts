/**
 * The PostgreSQL store's batch lookups: questions a node asks about many rooms, sessions or
 * users at once (every tracked room's head, every open socket's session), each one round trip
 * with an array parameter rather than one query per id.
 */
import type { UserRef } from "../src/protocol/index.ts";
import type { Pool } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

export async function roomHeads({ sql }: Pool, roomIds: readonly number[]) {
  if (roomIds.length === 0) return new Map<number, number>();
  const rows = await sql`
    SELECT id, last_seq FROM rooms WHERE id = ANY(${[...roomIds]}::bigint[])`;
  return new Map(
    (rows as { id: Int; last_seq: Int }[]).map((r) => [Number(r.id), Number(r.last_seq)]),
  );
}

export async function liveSessions({ sql }: Pool, tokenHashes: readonly string[], now: number) {
  if (tokenHashes.length === 0) return new Set<string>();
  const rows = await sql`
    SELECT token_hash FROM sessions s
    WHERE token_hash = ANY(${[...tokenHashes]}::text[]) AND expires_at > ${now}
    AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.disabled_at IS NOT NULL)`;
  return new Set((rows as { token_hash: string }[]).map((r) => r.token_hash));
}

export async function usersWithRooms({ sql }: Pool, userIds: readonly number[]) {
  if (userIds.length === 0) return [];
  const rows = await sql`
    SELECT u.id, u.name,
      coalesce((SELECT array_agg(room_id ORDER BY room_id) FROM members WHERE user_id = u.id),
        '{}') AS rooms
    FROM users u WHERE u.id = ANY(${[...userIds]}::bigint[])`;
  return (rows as { id: Int; name: string; rooms: Int[] }[]).map(
    (r): { user: UserRef; rooms: number[] } => ({
      user: { id: Number(r.id), name: r.name },
      rooms: [...r.rooms].map(Number),
    }),
  );
}
