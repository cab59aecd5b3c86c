/** Encrypted groups in the PostgreSQL store (group-store.ts). */
import {
  GROUP_VERSIONS_MAX,
  type GroupStore,
  type GroupVersionChange,
  type GroupVersionRecord,
} from "./group-store.ts";
import type { AppendResult } from "./message-log.ts";
import { appendIn, isLostRace } from "./store-postgres-append.ts";
import type { Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

/** A version's transaction is rerun this often after a lost race (a deadlock). */
const VERSION_ATTEMPTS = 5;

/** Thrown inside a version's transaction to roll it back with the append's refusal. */
class Refused {
  constructor(readonly result: AppendResult | "stale") {}
}

export class PostgresGroups implements GroupStore {
  constructor(private readonly run: Run) {}

  async markGroup(roomId: number): Promise<void> {
    await this.run(
      ({ sql }) => sql`INSERT INTO group_rooms (room_id) VALUES (${roomId}) ON CONFLICT DO NOTHING`,
    );
  }

  async groupVersions(roomId: number): Promise<GroupVersionRecord[]> {
    const rows = (await this.run(
      ({ sql }) => sql`
        SELECT * FROM (
          SELECT m.seq, m.ts, m.sender_id AS id, u.name, m.body FROM messages m
          LEFT JOIN users u ON u.id = m.sender_id
          WHERE m.room_id = ${roomId} AND m.kind = 'membership'
          ORDER BY m.seq DESC LIMIT ${GROUP_VERSIONS_MAX}
        ) v ORDER BY seq`,
    )) as { seq: Int; ts: Int; id: Int; name: string | null; body: string }[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      ts: Number(r.ts),
      from: { id: Number(r.id), name: r.name ?? `deleted-${r.id}` },
      body: r.body,
    }));
  }

  async storeGroupVersion(c: GroupVersionChange): Promise<AppendResult | "stale"> {
    const { room, ts } = c.event;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run((pool) =>
          pool.sql.begin(async (tx): Promise<AppendResult | "stale"> => {
            // The room's row first, as the append takes it: versions of one group queue here,
            // and each then reads the newest version the one before it committed.
            const found = await tx`SELECT 1 FROM rooms WHERE id = ${room} FOR NO KEY UPDATE`;
            if (found.length === 0) return { ok: false, code: "ROOM_NOT_FOUND" };
            const [newest] = await tx`
              SELECT seq FROM messages WHERE room_id = ${room} AND kind = 'membership'
              ORDER BY seq DESC LIMIT 1`;
            if (Number(newest?.seq ?? 0) !== c.after) return "stale";
            for (const id of c.add) {
              await tx`INSERT INTO members (room_id, user_id, joined_at)
                       VALUES (${room}, ${id}, ${ts}) ON CONFLICT DO NOTHING`;
            }
            const [result] = await appendIn(tx, pool, [c.event]);
            if (!result?.ok) throw new Refused(result ?? { ok: false, code: "ROOM_NOT_FOUND" });
            await tx`
              UPDATE members SET role = CASE WHEN user_id = ANY(${[...c.admins]}::bigint[])
                THEN 'owner' ELSE 'member' END
              WHERE room_id = ${room}`;
            for (const id of c.remove) {
              await tx`DELETE FROM members WHERE room_id = ${room} AND user_id = ${id}`;
            }
            return result;
          }),
        );
      } catch (err) {
        if (err instanceof Refused) return err.result;
        if (attempt < VERSION_ATTEMPTS && isLostRace(err)) continue;
        throw err;
      }
    }
  }
}
