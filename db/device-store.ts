/**
 * Devices for end-to-end encryption: each device's public bundle, each user's signed device
 * list, and the encrypted key backup. The store keeps them as opaque JSON and never looks inside.
 */

export interface DeviceStore {
  /** Stores or replaces a device's public bundle (JSON); "too-many" past maxDevices. */
  putDevice(
    userId: number,
    deviceId: string,
    bundle: string,
    now: number,
    maxDevices: number,
  ): Promise<"ok" | "too-many">;
  /** Every published bundle (JSON) of each user asked for. */
  devicesOf(userIds: readonly number[]): Promise<Map<number, string[]>>;
  /**
   * Stores a user's signed device list (JSON) under identity key `key`: "stale" unless `version`
   * is above the stored one, "key-changed" if another key signed the stored one and `replaceKey`
   * is false. With replaceKey the new key's list replaces the old at any version.
   */
  putDeviceList(
    userId: number,
    key: string,
    version: number,
    list: string,
    now: number,
    replaceKey: boolean,
  ): Promise<"ok" | "stale" | "key-changed">;
  /** The stored signed device list (JSON) of each user asked for who has one. */
  deviceListsOf(userIds: readonly number[]): Promise<Map<number, string>>;

  /** Replaces a user's key backup info (JSON); the items sealed to the old one go with it. */
  putKeyBackup(userId: number, info: string, now: number): Promise<void>;
  /** The user's key backup info (JSON), or undefined. */
  keyBackup(userId: number): Promise<string | undefined>;
  /** Adds an opaque backup item: "no-backup" without info, "full" at maxItems. */
  addBackupItem(
    userId: number,
    item: string,
    now: number,
    maxItems: number,
  ): Promise<"ok" | "full" | "no-backup">;
  /** Up to `limit` of the user's backup items with id > after, oldest first. */
  backupItems(
    userId: number,
    after: number,
    limit: number,
  ): Promise<{ id: number; item: string }[]>;
}
