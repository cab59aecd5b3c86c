/**
 * Files for end-to-end encrypted DMs: each file is encrypted with its own fresh AES-256-GCM key,
 * so the server stores only ciphertext, and the key travels inside the sealed DM that shares it
 * (see file-attachment.ts). WebCrypto only, so the browser uses the same code.
 *
 * A fresh key per file means the (key, iv) pair is never reused; the fixed additional data
 * binds the ciphertext to this scheme and version. The SHA-256 of the plaintext lets the
 * recipient check that what decrypted is the file the sender meant, not merely some file
 * encrypted under that key.
 */
import { type Bytes, fromBase64Url, randomBytes, toBase64Url, utf8 } from "./encoding.ts";
import { CONTENT_KEY_BYTES, GCM_IV_BYTES } from "./wire.ts";

const AAD = utf8("parley-file-v1");

export interface FileSecret {
  /** The AES-256-GCM key, base64url. */
  key: string;
  /** The GCM nonce, base64url. */
  iv: string;
  /** Hex SHA-256 of the plaintext. */
  sha256: string;
}

export interface EncryptedFile extends FileSecret {
  ciphertext: Bytes;
  /** The plaintext's size in bytes (the ciphertext has 16 more). */
  size: number;
}

export type FileDecryption =
  | { ok: true; bytes: Bytes }
  /** The ciphertext, key or iv was altered: GCM refused it. */
  | { ok: false; reason: "tampered" }
  /** It decrypted, but to different bytes than the sender described. */
  | { ok: false; reason: "digest-mismatch" };

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function encryptFile(plain: Uint8Array<ArrayBuffer>): Promise<EncryptedFile> {
  const rawKey = randomBytes(CONTENT_KEY_BYTES);
  const iv = randomBytes(GCM_IV_BYTES);
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["encrypt"]);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: AAD }, key, plain),
  );
  return {
    ciphertext,
    key: toBase64Url(rawKey),
    iv: toBase64Url(iv),
    sha256: await sha256Hex(plain),
    size: plain.byteLength,
  };
}

export async function decryptFile(
  ciphertext: Uint8Array<ArrayBuffer>,
  secret: FileSecret,
): Promise<FileDecryption> {
  const rawKey = fromBase64Url(secret.key);
  const iv = fromBase64Url(secret.iv);
  if (rawKey?.length !== CONTENT_KEY_BYTES || iv?.length !== GCM_IV_BYTES) {
    return { ok: false, reason: "tampered" };
  }
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]);
  let bytes: Bytes;
  try {
    bytes = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: AAD }, key, ciphertext),
    );
  } catch {
    return { ok: false, reason: "tampered" };
  }
  if ((await sha256Hex(bytes)) !== secret.sha256.toLowerCase()) {
    return { ok: false, reason: "digest-mismatch" };
  }
  return { ok: true, bytes };
}
