/** The SQLite store's per-user appearance settings (db/migrations/sqlite/008-appearance.sql). */
import type { Database } from "bun:sqlite";

export function userSettings(db: Database, userId: number): Promise<string | undefined> {
  const row = db
    .query<{ settings: string }, [number]>("SELECT settings FROM user_settings WHERE user_id = ?")
    .get(userId);
  return Promise.resolve(row?.settings);
}

export function putUserSettings(
  db: Database,
  userId: number,
  settings: string,
  now: number,
): Promise<void> {
  db.query(
    `INSERT INTO user_settings (user_id, settings, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings,
       updated_at = excluded.updated_at`,
  ).run(userId, settings, now);
  return Promise.resolve();
}
