/**
 * The key backup directory: each account may keep one encrypted key backup, its info (the
 * backup's public key, signed by the account identity key) and opaque items sealed to it by the
 * account's devices. The server checks the info's signature against the account's published
 * device list and bounds the items; it never holds a key that opens them (docs/e2ee.md).
 */
import type { Store } from "../../db/store.ts";
import { type BackupInfo, deviceListSchema, verifyBackupInfo } from "../crypto/index.ts";
import { BACKUP_ITEMS_MAX, BACKUP_PAGE_MAX, ParleyError, type UserRef } from "../protocol/index.ts";
import { e2eeUserId } from "./devices.ts";

export class KeyBackups {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Starts (or replaces) the account's backup; the items of a replaced one are dropped. */
  async create(user: UserRef, info: BackupInfo): Promise<void> {
    const json = (await this.store.deviceListsOf([user.id])).get(user.id);
    const list = json ? deviceListSchema.safeParse(JSON.parse(json)) : undefined;
    const verified =
      list?.success &&
      (await verifyBackupInfo(info, { user: e2eeUserId(user.id), accountKey: list.data.key }));
    if (!verified) throw new ParleyError("BAD_BACKUP");
    await this.store.putKeyBackup(user.id, JSON.stringify(info), this.now());
  }

  async add(user: UserRef, item: string): Promise<void> {
    const added = await this.store.addBackupItem(user.id, item, this.now(), BACKUP_ITEMS_MAX);
    if (added === "no-backup") throw new ParleyError("NO_BACKUP");
    if (added === "full") throw new ParleyError("BACKUP_FULL");
  }

  async page(user: UserRef, after: number) {
    const [json, items] = await Promise.all([
      this.store.keyBackup(user.id),
      this.store.backupItems(user.id, after, BACKUP_PAGE_MAX + 1),
    ]);
    return {
      ...(json ? { info: JSON.parse(json) as BackupInfo } : {}),
      items: items.slice(0, BACKUP_PAGE_MAX),
      more: items.length > BACKUP_PAGE_MAX,
    };
  }
}
