/** Encrypted groups in the SQLite store (group-store.ts). */
import type { Database } from "bun:sqlite";
import {
  GROUP_VERSIONS_MAX,
  type GroupStore,
  type GroupVersionChange,
  type GroupVersionRecord,
} from "./group-store.ts";
import type { AppendResult } from "./message-log.ts";
import { type Appender, createAppender } from "./store-sqlite-append.ts";

type Row = { seq: number; ts: number; id: number; name: string | null; body: string };

/** Thrown inside a version's transaction to roll it back with the append's refusal. */
class Refused {
  constructor(readonly result: AppendResult | "stale") {}
}

export class SqliteGroups implements GroupStore {
  private readonly q;
  /** The log's append, run inside a version's transaction (a savepoint of it). */
  private readonly append: Appender;

  constructor(private readonly db: Database) {
    this.append = createAppender(db);
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
      newest: db.query<{ seq: number }, [number]>(
        `SELECT seq FROM messages WHERE room_id = ? AND kind = 'membership'
         ORDER BY seq DESC LIMIT 1`,
      ),
      join: db.query<never, [number, number, number]>(
        "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      leave: db.query<never, [number, number]>(
        "DELETE FROM members WHERE room_id = ? AND user_id = ?",
      ),
      roles: db.query<never, [string, number]>(
        `UPDATE members SET role = CASE WHEN user_id IN (SELECT value FROM json_each(?))
           THEN 'owner' ELSE 'member' END WHERE room_id = ?`,
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

  async storeGroupVersion(c: GroupVersionChange): Promise<AppendResult | "stale"> {
    const { room, ts } = c.event;
    try {
      return this.db
        .transaction((): AppendResult | "stale" => {
          if ((this.q.newest.get(room)?.seq ?? 0) !== c.after) return "stale";
          for (const id of c.add) this.q.join.run(room, id, ts);
          const [result] = this.append([c.event]);
          if (!result?.ok) throw new Refused(result ?? { ok: false, code: "ROOM_NOT_FOUND" });
          this.q.roles.run(JSON.stringify(c.admins), room);
          for (const id of c.remove) this.q.leave.run(room, id);
          return result;
        })
        .immediate();
    } catch (err) {
      if (err instanceof Refused) return err.result;
      throw err;
    }
  }
}
