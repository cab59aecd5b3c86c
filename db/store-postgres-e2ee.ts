/**
 * The PostgreSQL store's queries for end-to-end encryption across devices (migration 006): each
 * user's signed device list and the encrypted key backup. PostgresStore delegates to these; they
 * take its `run` so deadlines and pool swaps apply as everywhere.
 */
import type { Run } from "./store-postgres-hardening.ts";
import type { Int } from "./store-postgres-rows.ts";

export async function putDeviceList(
  run: Run,
  userId: number,
  key: string,
  version: number,
  list: string,
  now: number,
  replaceKey: boolean,
): Promise<"ok" | "stale" | "key-changed"> {
  return run(({ sql }) =>
    sql.begin(async (tx): Promise<"ok" | "stale" | "key-changed"> => {
      // The user's row lock orders this user's list publishes from every node.
      await tx`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
      const [stored] = await tx`
          SELECT identity_key AS key, version::float8 AS version FROM device_lists
          WHERE user_id = ${userId}`;
      if (stored && stored.key !== key && !replaceKey) return "key-changed";
      if (stored && stored.key === key && version <= Number(stored.version)) return "stale";
      await tx`
          INSERT INTO device_lists (user_id, identity_key, version, list, updated_at)
          VALUES (${userId}, ${key}, ${version}, ${list}, ${now})
          ON CONFLICT (user_id) DO UPDATE SET identity_key = excluded.identity_key,
            version = excluded.version, list = excluded.list, updated_at = excluded.updated_at`;
      return "ok";
    }),
  );
}

export async function deviceListsOf(run: Run, userIds: readonly number[]) {
  const found = new Map<number, string>();
  if (userIds.length === 0) return found;
  const rows = await run(
    ({ sql }) => sql`
        SELECT user_id, list FROM device_lists WHERE user_id = ANY(${[...userIds]}::bigint[])`,
  );
  for (const r of rows as { user_id: Int; list: string }[]) found.set(Number(r.user_id), r.list);
  return found;
}

export async function putKeyBackup(
  run: Run,
  userId: number,
  info: string,
  now: number,
): Promise<void> {
  await run(({ sql }) =>
    sql.begin(async (tx) => {
      await tx`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
      await tx`DELETE FROM key_backup_items WHERE user_id = ${userId}`;
      await tx`
          INSERT INTO key_backups (user_id, info, updated_at) VALUES (${userId}, ${info}, ${now})
          ON CONFLICT (user_id) DO UPDATE SET info = excluded.info, updated_at = excluded.updated_at`;
    }),
  );
}

export async function keyBackup(run: Run, userId: number): Promise<string | undefined> {
  const rows = await run(({ sql }) => sql`SELECT info FROM key_backups WHERE user_id = ${userId}`);
  return (rows as { info: string }[])[0]?.info;
}

export async function addBackupItem(
  run: Run,
  userId: number,
  item: string,
  now: number,
  maxItems: number,
): Promise<"ok" | "full" | "no-backup"> {
  return run(({ sql }) =>
    sql.begin(async (tx): Promise<"ok" | "full" | "no-backup"> => {
      // The user's row lock orders this user's additions from every node, so the count holds.
      await tx`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
      const [info] = await tx`SELECT 1 AS one FROM key_backups WHERE user_id = ${userId}`;
      if (!info) return "no-backup";
      const [row] = await tx`
          SELECT count(*)::int AS n FROM key_backup_items WHERE user_id = ${userId}`;
      if (row.n >= maxItems) return "full";
      await tx`
          INSERT INTO key_backup_items (user_id, item, created_at) VALUES (${userId}, ${item}, ${now})`;
      return "ok";
    }),
  );
}

export async function backupItems(run: Run, userId: number, after: number, limit: number) {
  const rows = await run(
    ({ sql }) => sql`
        SELECT id, item FROM key_backup_items WHERE user_id = ${userId} AND id > ${after}
        ORDER BY id LIMIT ${limit}`,
  );
  return (rows as { id: Int; item: string }[]).map((r) => ({ id: Number(r.id), item: r.item }));
}
