/** Encrypted groups in the SQLite store (group-store.ts). */
import type { Database } from "bun:sqlite";
import { GROUP_VERSIONS_MAX, type GroupStore, type GroupVersionRecord } from "./group-store.ts";

type Row = { seq: number; ts: number; id: number; name: string | null; body: string };

export class SqliteGroups implements GroupStore {
  private readonly q;

  constructor(db: Database) {
    this.q = {
      mark: db.query<never, [number]>(
        "INSERT INTO group_rooms (room_id) VALUES (?) ON CONFLICT DO NOTHING",
      ),
      versions: db.query<Row, [number, number]>(
        `SELECT * FROM (
           SELECT m.seq, m.ts, m.sender_id AS id, u.name, m.body FROM messages m
           LEFT JOIN users u ON u.id = m.sender_id
           WHERE m.room_id = ? AND m.kind = 'membership' ORDER BY m.seq DESC LIMIT ?
         ) ORDER BY seq`,
      ),
    };
  }

  async markGroup(roomId: number): Promise<void> {
    this.q.mark.run(roomId);
  }

  async groupVersions(roomId: number): Promise<GroupVersionRecord[]> {
    return this.q.versions.all(roomId, GROUP_VERSIONS_MAX).map((r) => ({
      seq: r.seq,
      ts: r.ts,
      from: { id: r.id, name: r.name ?? `deleted-${r.id}` },
      body: r.body,
    }));
  }
}
