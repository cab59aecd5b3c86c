/**
 * This device's side of the account's encrypted key backup (docs/e2ee.md section 11): it adds
 * the content key of every DM it opens, in sealed batches, once the account has a backup whose
 * info the account identity key signed; it creates the backup (the recovery key is returned to
 * be shown once and is never kept); and it restores from one, keeping the restored content keys
 * on this device (its RestoredKeyStore, beside its identity: they outlast a restart) and taking
 * the account key, which links this device.
 */
import {
  type BackupEntry,
  type BackupInfo,
  createRecoveryKey,
  formatRecoveryKey,
  fromBase64Url,
  type Identity,
  ITEM_ENTRIES_MAX,
  type KeyBook,
  openBackupAccount,
  openBackupItem,
  parseRecoveryKey,
  passphraseRecoveryKey,
  recoveryKeys,
  sealBackupItem,
  signBackupInfo,
  toBase64Url,
  verifyBackupInfo,
} from "../crypto/index.ts";
import { HISTORY_PAGE_MAX, type Message, type UserRef } from "../protocol/index.ts";
import type { Connection } from "./connection.ts";

/** How long opened keys wait to be sent together. */
const FLUSH_MS = 300;

/** An envelope's content key, as the backup keeps it. */
export interface OpenedKey {
  conv: string;
  from: { user: string; device: string };
  id: string;
  key: Uint8Array<ArrayBuffer>;
}

export type RestoreResult =
  | { ok: true; keys: number; linked: boolean }
  | { ok: false; reason: "malformed" | "no-backup" | "wrong-key" };

/**
 * Where a device keeps the content keys it restored, as it keeps its identity (the terminal's
 * 0600 file, the browser's IndexedDB): what it could read once it can read after a restart.
 */
export interface RestoredKeyStore {
  load(): Promise<unknown>;
  save(value: RestoredKeys): Promise<void>;
}

/** The stored form: base64url content keys by conversation/user/device/envelope id. */
export interface RestoredKeys {
  v: 1;
  keys: Record<string, string[]>;
}

/** What a person types to read the backup: the recovery key, or the passphrase it came from. */
export type RecoverySecret = { key: string } | { passphrase: string };

export class KeyBackupSync {
  /** The public backup key, once the account's signed backup info was seen. */
  private publicKey: string | undefined;
  private queue: BackupEntry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sending: Promise<void> = Promise.resolve();
  /**
   * Content keys restored from the backup, by conversation/user/device/id. Several per envelope:
   * anyone who knows the public backup key (the server too) can add items, so a planted entry
   * must not hide the genuine one; open() accepts only the key the envelope committed to.
   */
  private readonly restored = new Map<string, Uint8Array<ArrayBuffer>[]>();

  constructor(
    private readonly o: {
      conn: Connection;
      me: UserRef;
      book: KeyBook;
      getIdentity(): Identity;
      /** Saves the identity with the account key restored from the backup, and links it. */
      adoptAccountKey(account: CryptoKeyPair): Promise<void>;
      /** Keeps restored keys across restarts; without it they last for the session. */
      store?: RestoredKeyStore;
    },
  ) {}

  /** Whether this account has a backup this device adds to. */
  get enabled(): boolean {
    return this.publicKey !== undefined;
  }

  /** Reads the account's backup info, if any, and checks it against the pinned account key. */
  async load(): Promise<void> {
    const reply = await this.o.conn.request<"backup">({
      type: "backup_get",
      after: Number.MAX_SAFE_INTEGER,
    });
    this.publicKey = (await this.verified(reply.info))?.key;
    const saved = (await this.o.store?.load().catch(() => undefined)) as RestoredKeys | undefined;
    // Anything but the stored form is ignored: the keys can be restored again from the backup.
    if (saved?.v !== 1 || typeof saved.keys !== "object" || saved.keys === null) return;
    for (const [key, list] of Object.entries(saved.keys)) {
      if (!Array.isArray(list)) continue;
      for (const text of list) {
        const k = typeof text === "string" ? fromBase64Url(text) : undefined;
        if (k) this.restored.set(key, [...(this.restored.get(key) ?? []), k]);
      }
    }
  }

  /**
   * Starts a new backup (replacing any) and returns the recovery key to show once. Needs the
   * account key; "no-account-key" without it.
   */
  async create(
    o: { passphrase?: string } = {},
  ): Promise<string | "no-account-key" | "passphrase-refused"> {
    const account = this.o.getIdentity().account;
    if (!account) return "no-account-key";
    const recovery =
      o.passphrase === undefined
        ? createRecoveryKey()
        : await passphraseRecoveryKey(o.passphrase, String(this.o.me.id));
    if (!recovery) return "passphrase-refused";
    const keys = await recoveryKeys(recovery);
    const info = await signBackupInfo({ user: String(this.o.me.id), keys, account });
    await this.o.conn.request<"ok">({ type: "backup_create", info });
    this.publicKey = keys.publicKey;
    return formatRecoveryKey(recovery);
  }

  /** Queues the content key of an envelope this device opened. */
  record(
    conv: string,
    from: { user: string; device: string },
    id: string,
    key: Uint8Array<ArrayBuffer>,
  ): void {
    if (!this.publicKey) return;
    this.queue.push({ c: conv, u: from.user, d: from.device, i: id, k: toBase64Url(key) });
    if (this.queue.length >= ITEM_ENTRIES_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Sends what is queued; resolves once everything queued so far is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue.splice(0, ITEM_ENTRIES_MAX);
    const key = this.publicKey;
    if (batch.length > 0 && key) {
      this.sending = this.sending
        .then(async () => {
          const item = await sealBackupItem(key, batch);
          await this.o.conn.request<"ok">({ type: "backup_add", item });
        })
        .catch(() => {}); // offline or full: those keys are not backed up, as if never opened
    }
    return this.queue.length > 0 ? this.flush() : this.sending;
  }

  /**
   * Adds the content keys of every stored message of `rooms` that `keyOf` opens, page by page;
   * resolves with how many, once they are stored.
   */
  async backfill(
    rooms: readonly number[],
    keyOf: (m: Message) => Promise<OpenedKey | undefined>,
  ): Promise<number> {
    let added = 0;
    for (const room of rooms) {
      for (let after = 0, more = true; more; ) {
        const page = await this.o.conn.history(room, { after, limit: HISTORY_PAGE_MAX });
        for (const m of page.messages) {
          const opened = await keyOf(m);
          if (!opened) continue;
          this.record(opened.conv, opened.from, opened.id, opened.key);
          added++;
        }
        after = page.messages.at(-1)?.seq ?? after;
        more = page.more && page.messages.length > 0;
      }
    }
    await this.flush();
    return added;
  }

  /** The restored content keys the backup holds for an envelope (usually one). */
  keysFor(
    conv: string,
    from: { user: string; device: string },
    id: string,
  ): readonly Uint8Array<ArrayBuffer>[] {
    return this.restored.get(`${conv}/${from.user}/${from.device}/${id}`) ?? [];
  }

  /** Reads the whole backup with the recovery key the person typed. */
  async restore(text: string | RecoverySecret): Promise<RestoreResult> {
    const secret = typeof text === "string" ? { key: text } : text;
    const recovery =
      "key" in secret
        ? parseRecoveryKey(secret.key)
        : await passphraseRecoveryKey(secret.passphrase, String(this.o.me.id));
    if (!recovery) return { ok: false, reason: "malformed" };
    const keys = await recoveryKeys(recovery);
    let after = 0;
    let info: BackupInfo | undefined;
    const items: string[] = [];
    for (;;) {
      const page = await this.o.conn.request<"backup">({ type: "backup_get", after });
      info ??= page.info;
      items.push(...page.items.map((i) => i.item));
      after = page.items.at(-1)?.id ?? after;
      if (!page.more) break;
    }
    const verified = await this.verified(info);
    if (!verified) return { ok: false, reason: "no-backup" };
    if (verified.key !== keys.publicKey) return { ok: false, reason: "wrong-key" };
    this.publicKey = verified.key;
    for (const item of items) {
      for (const e of (await openBackupItem(item, keys)) ?? []) {
        const k = fromBase64Url(e.k);
        const key = `${e.c}/${e.u}/${e.d}/${e.i}`;
        // Every candidate is kept (the backup's item bound bounds them): the server orders items.
        if (k) this.restored.set(key, [...(this.restored.get(key) ?? []), k]);
      }
    }
    await this.o.store?.save({
      v: 1,
      keys: Object.fromEntries(
        [...this.restored].map(([key, list]) => [key, list.map((k) => toBase64Url(k))]),
      ),
    });
    let linked = false;
    if (!this.o.getIdentity().account) {
      const account = await openBackupAccount(verified, keys);
      if (account) {
        await this.o.adoptAccountKey(account);
        linked = true;
      }
    }
    return { ok: true, keys: this.restored.size, linked };
  }

  /** The info if the account key pinned for this account signed it. */
  private async verified(info: unknown): Promise<BackupInfo | undefined> {
    const accountKey = this.o.book.identity(String(this.o.me.id))?.key;
    if (!info || !accountKey) return undefined;
    return verifyBackupInfo(info, { user: String(this.o.me.id), accountKey });
  }
}
