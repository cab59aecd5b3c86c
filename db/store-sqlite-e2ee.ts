/**
 * The SQLite store's devices for end-to-end encryption (device-store.ts): device bundles, the
 * signed device lists and the encrypted key backup (migration 006).
 */
import type { Database } from "bun:sqlite";
import type { DeviceStore } from "./device-store.ts";

function prepare(db: Database) {
  return {
    countDevices: db.query<{ n: number }, [number, string]>(
      "SELECT count(*) AS n FROM devices WHERE user_id = ? AND device_id != ?",
    ),
    putDevice: db.query<never, [number, string, string, number, number]>(
      `INSERT INTO devices (user_id, device_id, bundle, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET bundle = excluded.bundle,
         updated_at = excluded.updated_at`,
    ),
    devicesOf: db.query<{ bundle: string }, [number]>(
      "SELECT bundle FROM devices WHERE user_id = ? ORDER BY created_at, device_id",
    ),
    deviceList: db.query<{ key: string; version: number; list: string }, [number]>(
      "SELECT identity_key AS key, version, list FROM device_lists WHERE user_id = ?",
    ),
    putDeviceList: db.query<never, [number, string, number, string, number]>(
      `INSERT INTO device_lists (user_id, identity_key, version, list, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET identity_key = excluded.identity_key,
         version = excluded.version, list = excluded.list, updated_at = excluded.updated_at`,
    ),
    keyBackup: db.query<{ info: string }, [number]>(
      "SELECT info FROM key_backups WHERE user_id = ?",
    ),
    putKeyBackup: db.query<never, [number, string, number]>(
      `INSERT INTO key_backups (user_id, info, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET info = excluded.info, updated_at = excluded.updated_at`,
    ),
    deleteBackupItems: db.query<never, [number]>("DELETE FROM key_backup_items WHERE user_id = ?"),
    countBackupItems: db.query<{ n: number }, [number]>(
      "SELECT count(*) AS n FROM key_backup_items WHERE user_id = ?",
    ),
    insertBackupItem: db.query<never, [number, string, number]>(
      "INSERT INTO key_backup_items (user_id, item, created_at) VALUES (?, ?, ?)",
    ),
    backupItems: db.query<{ id: number; item: string }, [number, number, number]>(
      "SELECT id, item FROM key_backup_items WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
    ),
  };
}

export class SqliteE2ee implements DeviceStore {
  private readonly q;

  constructor(private readonly db: Database) {
    this.q = prepare(db);
  }

  async putDevice(
    userId: number,
    deviceId: string,
    bundle: string,
    now: number,
    maxDevices: number,
  ): Promise<"ok" | "too-many"> {
    return this.db
      .transaction((): "ok" | "too-many" => {
        if ((this.q.countDevices.get(userId, deviceId)?.n ?? 0) >= maxDevices) return "too-many";
        this.q.putDevice.run(userId, deviceId, bundle, now, now);
        return "ok";
      })
      .immediate();
  }

  async devicesOf(userIds: readonly number[]) {
    const found = new Map<number, string[]>();
    for (const id of userIds)
      found.set(
        id,
        this.q.devicesOf.all(id).map((r) => r.bundle),
      );
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
    return this.db
      .transaction((): "ok" | "stale" | "key-changed" => {
        const stored = this.q.deviceList.get(userId);
        if (stored && stored.key !== key && !replaceKey) return "key-changed";
        if (stored && stored.key === key && version <= stored.version) return "stale";
        this.q.putDeviceList.run(userId, key, version, list, now);
        return "ok";
      })
      .immediate();
  }

  async deviceListsOf(userIds: readonly number[]) {
    const found = new Map<number, string>();
    for (const id of userIds) {
      const row = this.q.deviceList.get(id);
      if (row) found.set(id, row.list);
    }
    return found;
  }

  async putKeyBackup(userId: number, info: string, now: number): Promise<void> {
    this.db
      .transaction(() => {
        this.q.deleteBackupItems.run(userId);
        this.q.putKeyBackup.run(userId, info, now);
      })
      .immediate();
  }

  async keyBackup(userId: number): Promise<string | undefined> {
    return this.q.keyBackup.get(userId)?.info;
  }

  async addBackupItem(
    userId: number,
    item: string,
    now: number,
    maxItems: number,
  ): Promise<"ok" | "full" | "no-backup"> {
    return this.db
      .transaction((): "ok" | "full" | "no-backup" => {
        if (!this.q.keyBackup.get(userId)) return "no-backup";
        if ((this.q.countBackupItems.get(userId)?.n ?? 0) >= maxItems) return "full";
        this.q.insertBackupItem.run(userId, item, now);
        return "ok";
      })
      .immediate();
  }

  async backupItems(userId: number, after: number, limit: number) {
    return this.q.backupItems.all(userId, after, limit);
  }
}
