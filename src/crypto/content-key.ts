/**
 * The per-message content key. A fresh random 256-bit secret K is what gets wrapped for each
 * device; HKDF-SHA256 turns it into the AES-256-GCM key for the text and a 256-bit commitment
 * that goes, signed, into the envelope.
 *
 * Why the commitment: AES-GCM does not commit to its key. A malicious sender could craft one
 * ciphertext that decrypts to different texts under two keys and wrap a different key for
 * different devices ("invisible salamanders"). With the signed commitment, every device that
 * opens an envelope has unwrapped the same K, and so reads the same text.
 */
import { type Bytes, randomBytes, utf8 } from "./encoding.ts";
import { CONTENT_KEY_BYTES } from "./wire.ts";

export interface ContentCipher {
  /** AES-256-GCM key for the padded text; used for exactly one encryption. */
  key: CryptoKey;
  /** Binds K: equal commitments mean equal K (HMAC-SHA256 collision resistance). */
  commitment: Bytes;
}

const INFO = utf8("parley/e2ee/v1/content");

export function newContentKey(): Bytes {
  return randomBytes(CONTENT_KEY_BYTES);
}

export async function contentCipher(
  contentKey: Bytes,
  usage: "encrypt" | "decrypt",
): Promise<ContentCipher> {
  const ikm = await crypto.subtle.importKey("raw", contentKey, "HKDF", false, ["deriveBits"]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: INFO },
      ikm,
      512,
    ),
  );
  const key = await crypto.subtle.importKey("raw", bits.slice(0, 32), "AES-GCM", false, [usage]);
  return { key, commitment: bits.slice(32) };
}
