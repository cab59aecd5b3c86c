/**
 * The PostgreSQL store's per-user appearance settings (db/migrations/postgres/008-appearance.sql).
 * They take PostgresStore's `run`, so deadlines and pool swaps apply as everywhere.
 */
import type { Run } from "./store-postgres-hardening.ts";

export async function userSettings(run: Run, userId: number): Promise<string | undefined> {
  const rows = await run(
    ({ sql }) => sql`SELECT settings FROM user_settings WHERE user_id = ${userId}`,
  );
  return (rows as { settings: string }[])[0]?.settings;
}

export async function putUserSettings(
  run: Run,
  userId: number,
  settings: string,
  now: number,
): Promise<void> {
  await run(
    ({ sql }) => sql`INSERT INTO user_settings (user_id, settings, updated_at)
      VALUES (${userId}, ${settings}, ${now})
      ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings,
        updated_at = excluded.updated_at`,
  );
}
