/** The SQLite store's per-user appearance settings (settings-store.ts, migration 008). */
import type { Database } from "bun:sqlite";
import type { SettingsStore } from "./settings-store.ts";

export class SqliteSettings implements SettingsStore {
  constructor(private readonly db: Database) {}

  async userSettings(userId: number): Promise<string | undefined> {
    const row = this.db
      .query<{ settings: string }, [number]>("SELECT settings FROM user_settings WHERE user_id = ?")
      .get(userId);
    return row?.settings;
  }

  async putUserSettings(userId: number, settings: string, now: number): Promise<void> {
    this.db
      .query(
        `INSERT INTO user_settings (user_id, settings, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings,
           updated_at = excluded.updated_at`,
      )
      .run(userId, settings, now);
  }
}
