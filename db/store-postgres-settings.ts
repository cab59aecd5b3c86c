/** The PostgreSQL store's per-user appearance settings (settings-store.ts, migration 008). */
import type { SettingsStore } from "./settings-store.ts";
import type { Run } from "./store-postgres-pool.ts";

export class PostgresSettings implements SettingsStore {
  constructor(private readonly run: Run) {}

  async userSettings(userId: number): Promise<string | undefined> {
    const rows = await this.run(
      ({ sql }) => sql`SELECT settings FROM user_settings WHERE user_id = ${userId}`,
    );
    return (rows as { settings: string }[])[0]?.settings;
  }

  async putUserSettings(userId: number, settings: string, now: number): Promise<void> {
    await this.run(
      ({ sql }) => sql`INSERT INTO user_settings (user_id, settings, updated_at)
        VALUES (${userId}, ${settings}, ${now})
        ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings,
          updated_at = excluded.updated_at`,
    );
  }
}
