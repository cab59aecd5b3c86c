import { describe, expect, it } from "bun:test";
import { accountKeyId, createAccountKey } from "../../src/crypto/device-list.ts";
import { toBase64Url } from "../../src/crypto/encoding.ts";
import { open, seal } from "../../src/crypto/envelope.ts";
import {
  createRecoveryKey,
  formatRecoveryKey,
  ITEM_ENTRIES_MAX,
  openBackupAccount,
  openBackupItem,
  parseRecoveryKey,
  recoveryKeys,
  sealBackupItem,
  signBackupInfo,
  verifyBackupInfo,
} from "../../src/crypto/key-backup.ts";
import { BACKUP_ITEM_CHARS_MAX } from "../../src/protocol/rules.ts";
import { devices } from "./fixtures.ts";

describe("key backup", () => {
  it("should read a recovery key back as it was shown, spaces or not, and refuse anything else", () => {
    const key = createRecoveryKey();
    const shown = formatRecoveryKey(key);
    expect(shown).toMatch(/^(\S{4} ){10}\S{3}$/);
    expect(parseRecoveryKey(shown)).toEqual(key);
    expect(parseRecoveryKey(shown.replaceAll(" ", ""))).toEqual(key);
    expect(parseRecoveryKey(shown.slice(0, -1))).toBeUndefined();
    expect(parseRecoveryKey("not a key")).toBeUndefined();
  });

  it("should derive the same backup key from the same recovery key, and open only its own items", async () => {
    const recovery = createRecoveryKey();
    const keys = await recoveryKeys(recovery);
    expect((await recoveryKeys(recovery)).publicKey).toBe(keys.publicKey);
    const entries = [{ c: "dm:1", u: "2", d: "desk", i: "m1", k: toBase64Url(new Uint8Array(32)) }];
    const item = await sealBackupItem(keys.publicKey, entries);
    expect(await openBackupItem(item, keys)).toEqual(entries);
    expect(await openBackupItem(item, await recoveryKeys(createRecoveryKey()))).toBeUndefined();
    expect(await openBackupItem("{}", keys)).toBeUndefined();
    expect(item).not.toContain("dm:1");
  });

  it("should keep an item of 50 entries with the longest ids under the server's 30,000 characters", async () => {
    const keys = await recoveryKeys(createRecoveryKey());
    const longest = {
      c: "c".repeat(128),
      u: "u".repeat(64),
      d: "d".repeat(64),
      i: "i".repeat(64),
      k: toBase64Url(new Uint8Array(32)),
    };
    const item = await sealBackupItem(keys.publicKey, Array(ITEM_ENTRIES_MAX).fill(longest));
    expect(item.length).toBeLessThanOrEqual(BACKUP_ITEM_CHARS_MAX);
    expect((await openBackupItem(item, keys))?.length).toBe(50);
  });

  it("should sign its info with the account key, and give the account key back only to the recovery key", async () => {
    const account = await createAccountKey(true);
    const keys = await recoveryKeys(createRecoveryKey());
    const info = await signBackupInfo({ user: "7", keys, account });
    const accountKey = await accountKeyId(account);
    expect(await verifyBackupInfo(info, { user: "7", accountKey })).toEqual(info);
    expect(
      await verifyBackupInfo(
        {
          ...info,
          key:
            keys.publicKey.replace(/^./, "A") === keys.publicKey
              ? keys.publicKey.replace(/^./, "B")
              : keys.publicKey.replace(/^./, "A"),
        },
        { user: "7", accountKey },
      ),
    ).toBeUndefined();
    expect(await verifyBackupInfo(info, { user: "8", accountKey })).toBeUndefined();
    expect(
      await verifyBackupInfo(info, {
        user: "7",
        accountKey: await accountKeyId(await createAccountKey()),
      }),
    ).toBeUndefined();
    const back = await openBackupAccount(info, keys);
    expect(back && (await accountKeyId(back))).toBe(accountKey);
    expect(await openBackupAccount(info, await recoveryKeys(createRecoveryKey()))).toBeUndefined();
  });

  it("should open an envelope not sealed for this device with its content key, only if it is the committed one", async () => {
    const [alice, bob, newDevice] = await devices("u", ["alice", "bob", "new"]);
    if (!alice || !bob || !newDevice) throw new Error("setup");
    const envelope = await seal({
      from: alice,
      conversation: "c",
      text: "old news",
      to: [bob.bundle],
    });
    let key: Uint8Array<ArrayBuffer> | undefined;
    await open(envelope, {
      me: bob,
      conversation: "c",
      senders: [alice.bundle],
      onContentKey: (k) => {
        key = k;
      },
    });
    expect(key?.length).toBe(32);
    const options = { me: newDevice, conversation: "c", senders: [alice.bundle] };
    expect(await open(envelope, options)).toEqual({ outcome: "not-addressed" });
    expect(await open(envelope, { ...options, contentKey: key })).toMatchObject({
      outcome: "opened",
      text: "old news",
    });
    expect(await open(envelope, { ...options, contentKey: new Uint8Array(32) })).toEqual({
      outcome: "tampered",
      reason: "key-commitment",
    });
  });
});
