/**
 * Building blocks shared by the E2EE wire formats (bundles, envelopes, identity files): limits,
 * id fields and exact-length base64url fields, as zod schemas a server can check without keys.
 */
import { z } from "zod";
import { base64UrlLength } from "./encoding.ts";

/** Version of every format in this module; a new scheme gets a new number and a new schema. */
export const E2EE_VERSION = 1;
/** Upper bound on user and device ids, in UTF-16 units. */
export const ID_MAX = 64;
/** Upper bound on conversation ids, in UTF-16 units. */
export const CONVERSATION_MAX = 128;
/** Devices one DM envelope may address, the sender's own devices included. */
export const DEVICES_MAX = 64;
/** Devices one group envelope may address: 32 members with 10 devices each (docs/e2ee.md 12). */
export const GROUP_DEVICES_MAX = 320;
/** UTF-8 bytes of text one envelope may carry (4,000 code points take at most 16,000 bytes). */
export const TEXT_BYTES_MAX = 16_000;
/** Plaintext is padded to a multiple of this, so the ciphertext shows its length only roughly. */
export const PAD_BLOCK = 64;

export const X25519_PUBLIC_BYTES = 32;
export const ED25519_PUBLIC_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const CONTENT_KEY_BYTES = 32;
export const KEY_COMMITMENT_BYTES = 32;
/** A content key wrapped for one device: the key and the GCM tag. */
export const WRAPPED_KEY_BYTES = CONTENT_KEY_BYTES + GCM_TAG_BYTES;
export const CIPHERTEXT_BYTES_MAX =
  Math.ceil((TEXT_BYTES_MAX + 1) / PAD_BLOCK) * PAD_BLOCK + GCM_TAG_BYTES;

export const userId = z.string().min(1).max(ID_MAX);
export const deviceId = z.string().min(1).max(ID_MAX);
export const conversationId = z.string().min(1).max(CONVERSATION_MAX);

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** base64url text of exactly `bytes` bytes. */
export function base64UrlOf(bytes: number) {
  return z.string().length(base64UrlLength(bytes)).regex(BASE64URL, "not base64url");
}

/** base64url text of `min` to `max` bytes. */
export function base64UrlBetween(min: number, max: number) {
  return z
    .string()
    .min(base64UrlLength(min))
    .max(base64UrlLength(max))
    .regex(BASE64URL, "not base64url");
}
