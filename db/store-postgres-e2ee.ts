/**
 * The PostgreSQL store's devices for end-to-end encryption (device-store.ts): device bundles,
 * the signed device lists and the encrypted key backup (migration 006).
 */
import type { DeviceStore } from "./device-store.ts";
import type { Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

export class PostgresE2ee implements DeviceStore {
  constructor(private readonly run: Run) {}

  async putDevice(
    userId: number,
    deviceId: string,
    bundle: string,
    now: number,
    maxDevices: number,
  ): Promise<"ok" | "too-many"> {
    return this.run(({ sql }) =>
      sql.begin(async (tx): Promise<"ok" | "too-many"> => {
        // The user's row lock queues this user's publishes from every node, so two devices
        // cannot both see room for one more. NO KEY UPDATE leaves foreign keys to it unblocked.
        await tx`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
        const [row] = await tx`
          SELECT count(*)::int AS n FROM devices WHERE user_id = ${userId} AND device_id <> ${deviceId}`;
        if (row.n >= maxDevices) return "too-many";
        await tx`
          INSERT INTO devices (user_id, device_id, bundle, created_at, updated_at)
          VALUES (${userId}, ${deviceId}, ${bundle}, ${now}, ${now})
          ON CONFLICT (user_id, device_id) DO UPDATE SET bundle = excluded.bundle,
            updated_at = excluded.updated_at`;
        return "ok";
      }),
    );
  }

  async devicesOf(userIds: readonly number[]) {
    const found = new Map<number, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return found;
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT user_id, bundle FROM devices WHERE user_id = ANY(${[...found.keys()]}::bigint[])
        ORDER BY user_id, created_at, device_id COLLATE "C"`,
    );
    for (const r of rows as { user_id: Int; bundle: string }[]) {
      found.get(Number(r.user_id))?.push(r.bundle);
    }
    return found;
  }

  async putDeviceList(
    userId: number,
    key: string,
    version: number,
    list: string,
    now: number,
    replaceKey: boolean,
  ): Promise<"ok" | "stale" | "key-changed"> {
    return this.run(({ sql }) =>
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

  async deviceListsOf(userIds: readonly number[]) {
    const found = new Map<number, string>();
    if (userIds.length === 0) return found;
    const rows = await this.run(
      ({ sql }) => sql`
          SELECT user_id, list FROM device_lists WHERE user_id = ANY(${[...userIds]}::bigint[])`,
    );
    for (const r of rows as { user_id: Int; list: string }[]) found.set(Number(r.user_id), r.list);
    return found;
  }

  async putKeyBackup(userId: number, info: string, now: number): Promise<void> {
    await this.run(({ sql }) =>
      sql.begin(async (tx) => {
        await tx`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
        await tx`DELETE FROM key_backup_items WHERE user_id = ${userId}`;
        await tx`
            INSERT INTO key_backups (user_id, info, updated_at) VALUES (${userId}, ${info}, ${now})
            ON CONFLICT (user_id) DO UPDATE SET info = excluded.info, updated_at = excluded.updated_at`;
      }),
    );
  }

  async keyBackup(userId: number): Promise<string | undefined> {
    const rows = await this.run(
      ({ sql }) => sql`SELECT info FROM key_backups WHERE user_id = ${userId}`,
    );
    return (rows as { info: string }[])[0]?.info;
  }

  async addBackupItem(
    userId: number,
    item: string,
    now: number,
    maxItems: number,
  ): Promise<"ok" | "full" | "no-backup"> {
    return this.run(({ sql }) =>
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

  async backupItems(userId: number, after: number, limit: number) {
    const rows = await this.run(
      ({ sql }) => sql`
          SELECT id, item FROM key_backup_items WHERE user_id = ${userId} AND id > ${after}
          ORDER BY id LIMIT ${limit}`,
    );
    return (rows as { id: Int; item: string }[]).map((r) => ({ id: Number(r.id), item: r.item }));
  }
}
