/** Encrypted groups in the PostgreSQL store (group-store.ts). */
import { GROUP_VERSIONS_MAX, type GroupStore, type GroupVersionRecord } from "./group-store.ts";
import type { Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

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
}
