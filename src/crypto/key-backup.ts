/**
 * Encrypted key backup: the content keys of the DMs an account's devices opened, sealed to a
 * backup key derived from a recovery key that only the person holds (shown once). Any linked
 * device adds to the backup with its public half; a device given the recovery key reads it all,
 * and the account identity key kept inside links that device. The server stores ciphertext.
 *
 * From the 32-byte recovery key R: HKDF-SHA256(R, info "parley/e2ee/v1/backup") gives 64 bytes;
 * bytes 0-31 are an X25519 private key (the backup key), bytes 32-63 an AES-256-GCM key that seals
 * the account key. The public backup key is published signed by the account identity key.
 */
import { z } from "zod";
import {
  type Bytes,
  concatBytes,
  fromBase64Url,
  fromUtf8,
  randomBytes,
  toBase64Url,
  transcript,
  utf8,
} from "./encoding.ts";
import { base64UrlBetween, base64UrlOf, conversationId, deviceId, ID_MAX, userId } from "./wire.ts";

const LABEL = "parley/e2ee/v1/backup";
const INFO_LABEL = "parley/e2ee/v1/backup-info";
const ITEM_LABEL = "parley/e2ee/v1/backup-item";
const ACCOUNT_LABEL = "parley/e2ee/v1/backup-account";
/** PKCS#8 prefix of a raw X25519 private key (RFC 8410): how WebCrypto imports raw bytes. */
const PKCS8_X25519 = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
/** Entries one sealed item may hold: 50 of the largest ids still fit a 30,000-character item. */
export const ITEM_ENTRIES_MAX = 50;

export const backupInfoSchema = z.object({
  v: z.literal(1),
  user: userId,
  /** The backup public key (X25519, raw). */
  key: base64UrlOf(32),
  /** The account key's private JWK, sealed under the recovery key; absent if not exportable. */
  account: z.object({ iv: base64UrlOf(12), ct: base64UrlBetween(16, 400) }).optional(),
  /** Ed25519 by the account identity key over the fields above. */
  sig: base64UrlOf(64),
});
export type BackupInfo = z.infer<typeof backupInfoSchema>;

const entrySchema = z.object({
  c: conversationId,
  u: userId,
  d: deviceId,
  i: z.string().min(1).max(ID_MAX),
  k: base64UrlOf(32),
});
export type BackupEntry = z.infer<typeof entrySchema>;
const itemSchema = z.object({ epk: base64UrlOf(32), iv: base64UrlOf(12), ct: z.string() });

export interface RecoveryKeys {
  /** The backup key pair (X25519). */
  backup: CryptoKeyPair;
  /** The public backup key, raw, base64url. */
  publicKey: string;
  /** Seals the account key. */
  secret: CryptoKey;
}

/** A new recovery key: 32 random bytes. */
export function createRecoveryKey(): Bytes {
  return randomBytes(32);
}

/** The recovery key as people copy it: 11 groups of 4 base64url characters. */
export function formatRecoveryKey(key: Uint8Array): string {
  return (
    toBase64Url(key)
      .match(/.{1,4}/g)
      ?.join(" ") ?? ""
  );
}

/** Reads a recovery key typed back (spaces ignored); undefined if it is not one. */
export function parseRecoveryKey(text: string): Bytes | undefined {
  const bytes = fromBase64Url(text.replace(/\s+/g, ""));
  return bytes && bytes.length === 32 ? bytes : undefined;
}

/** Derives the backup key pair and the account-sealing key from a recovery key. */
export async function recoveryKeys(recovery: Bytes): Promise<RecoveryKeys> {
  const ikm = await crypto.subtle.importKey("raw", recovery, "HKDF", false, ["deriveBits"]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(LABEL) },
      ikm,
      512,
    ),
  );
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    concatBytes(PKCS8_X25519, bits.slice(0, 32)),
    "X25519",
    true,
    ["deriveBits"],
  );
  const { x } = await crypto.subtle.exportKey("jwk", privateKey);
  const raw = fromBase64Url(x ?? "") as Bytes;
  const publicKey = await crypto.subtle.importKey("raw", raw, "X25519", true, []);
  const secret = await crypto.subtle.importKey("raw", bits.slice(32), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return { backup: { privateKey, publicKey }, publicKey: toBase64Url(raw), secret };
}

function infoBytes(i: { user: string; key: string; account?: { iv: string; ct: string } }) {
  return transcript([INFO_LABEL, i.user, i.key, i.account?.iv ?? "", i.account?.ct ?? ""]);
}

/** The backup info to publish: the public backup key and the sealed account key, signed. */
export async function signBackupInfo(input: {
  user: string;
  keys: RecoveryKeys;
  account: CryptoKeyPair;
}): Promise<BackupInfo> {
  let account: BackupInfo["account"];
  if (input.account.privateKey.extractable) {
    const { kty, crv, x, d } = await crypto.subtle.exportKey("jwk", input.account.privateKey);
    const iv = randomBytes(12);
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: transcript([ACCOUNT_LABEL, input.user]) },
      input.keys.secret,
      utf8(JSON.stringify({ kty, crv, x, d })),
    );
    account = { iv: toBase64Url(iv), ct: toBase64Url(new Uint8Array(ct)) };
  }
  const fields = { user: input.user, key: input.keys.publicKey, ...(account ? { account } : {}) };
  const sig = await crypto.subtle.sign("Ed25519", input.account.privateKey, infoBytes(fields));
  return { v: 1, ...fields, sig: toBase64Url(new Uint8Array(sig)) };
}

/** Checks backup info against the account identity key pinned for its user (raw, base64url). */
export async function verifyBackupInfo(
  input: unknown,
  expect: { user: string; accountKey: string },
): Promise<BackupInfo | undefined> {
  const parsed = backupInfoSchema.safeParse(input);
  if (!parsed.success || parsed.data.user !== expect.user) return undefined;
  const key = fromBase64Url(expect.accountKey);
  const sig = fromBase64Url(parsed.data.sig);
  if (!key || !sig) return undefined;
  try {
    const verify = await crypto.subtle.importKey("raw", key, "Ed25519", false, ["verify"]);
    const ok = await crypto.subtle.verify("Ed25519", verify, sig, infoBytes(parsed.data));
    return ok ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The account key sealed in the info, opened with the recovery keys (extractable as stored). */
export async function openBackupAccount(
  info: BackupInfo,
  keys: RecoveryKeys,
): Promise<CryptoKeyPair | undefined> {
  if (!info.account) return undefined;
  const iv = fromBase64Url(info.account.iv);
  const ct = fromBase64Url(info.account.ct);
  if (!iv || !ct) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: transcript([ACCOUNT_LABEL, info.user]) },
      keys.secret,
      ct,
    );
    const jwk = JSON.parse(fromUtf8(new Uint8Array(plain)) ?? "");
    const privateKey = await crypto.subtle.importKey("jwk", jwk, "Ed25519", true, ["sign"]);
    const publicKey = await crypto.subtle.importKey(
      "raw",
      fromBase64Url(jwk.x) as Bytes,
      "Ed25519",
      true,
      ["verify"],
    );
    return { privateKey, publicKey };
  } catch {
    return undefined;
  }
}

async function itemKey(shared: ArrayBuffer, epk: Bytes, recipient: Bytes): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: concatBytes(epk, recipient), info: utf8(ITEM_LABEL) },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Seals entries to the public backup key (raw, base64url): an opaque item for the server. */
export async function sealBackupItem(publicKey: string, entries: BackupEntry[]): Promise<string> {
  const recipient = fromBase64Url(publicKey) as Bytes;
  const pub = await crypto.subtle.importKey("raw", recipient, "X25519", false, []);
  const eph = (await crypto.subtle.generateKey("X25519", false, ["deriveBits"])) as CryptoKeyPair;
  const epk = new Uint8Array(await crypto.subtle.exportKey("raw", eph.publicKey));
  const shared = await crypto.subtle.deriveBits(
    { name: "X25519", public: pub },
    eph.privateKey,
    256,
  );
  const key = await itemKey(shared, epk, recipient);
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(ITEM_LABEL) },
    key,
    utf8(JSON.stringify(entries.slice(0, ITEM_ENTRIES_MAX))),
  );
  return JSON.stringify({
    epk: toBase64Url(epk),
    iv: toBase64Url(iv),
    ct: toBase64Url(new Uint8Array(ct)),
  });
}

/** Opens an item with the recovery keys; undefined for anything that does not open. */
export async function openBackupItem(
  item: string,
  keys: RecoveryKeys,
): Promise<BackupEntry[] | undefined> {
  try {
    const parsed = itemSchema.parse(JSON.parse(item));
    const epk = fromBase64Url(parsed.epk) as Bytes;
    const iv = fromBase64Url(parsed.iv) as Bytes;
    const ct = fromBase64Url(parsed.ct) as Bytes;
    const pub = await crypto.subtle.importKey("raw", epk, "X25519", false, []);
    const shared = await crypto.subtle.deriveBits(
      { name: "X25519", public: pub },
      keys.backup.privateKey,
      256,
    );
    const key = await itemKey(shared, epk, fromBase64Url(keys.publicKey) as Bytes);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: utf8(ITEM_LABEL) },
      key,
      ct,
    );
    return z.array(entrySchema).parse(JSON.parse(fromUtf8(new Uint8Array(plain)) ?? ""));
  } catch {
    return undefined;
  }
}
