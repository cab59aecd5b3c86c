/**
 * Byte encodings for the E2EE module: base64url without padding, UTF-8, and the length-prefixed
 * transcripts that every signature, AAD and KDF input is built from. WebCrypto-only code runs in
 * Bun and browsers alike, so nothing here touches Buffer or node: modules.
 */

/** Bytes backed by a plain ArrayBuffer: what WebCrypto's BufferSource accepts. */
export type Bytes = Uint8Array<ArrayBuffer>;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** base64url (RFC 4648 §5) without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      ALPHABET[n >> 18] +
      (ALPHABET[(n >> 12) & 63] as string) +
      ALPHABET[(n >> 6) & 63] +
      ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += (ALPHABET[n >> 18] as string) + ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += (ALPHABET[n >> 18] as string) + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63];
  }
  return out;
}

/**
 * Decodes base64url without padding; undefined for anything else. Only the canonical encoding is
 * accepted (unused trailing bits must be zero), so every byte string has exactly one text form
 * and an envelope cannot be altered without changing the bytes its signature covers.
 */
export function fromBase64Url(text: string): Bytes | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (LOOKUP[c] as number) : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** Length of the unpadded base64url text for `n` bytes: for exact-length schema checks. */
export function base64UrlLength(n: number): number {
  return Math.ceil((n * 4) / 3);
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text: string): Bytes {
  return encoder.encode(text);
}

/** Decodes UTF-8; undefined for invalid sequences rather than silently replacing them. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

export function concatBytes(...parts: readonly Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * An unambiguous byte string of fields: each field is a 4-byte big-endian length followed by its
 * bytes (strings as UTF-8). Two different field lists never give the same bytes, so no field can
 * bleed into its neighbour ("ab","c" vs "a","bc").
 */
export function transcript(fields: readonly (string | Uint8Array)[]): Bytes {
  const parts: Uint8Array[] = [];
  for (const field of fields) {
    const bytes = typeof field === "string" ? utf8(field) : field;
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length);
    parts.push(len, bytes);
  }
  return concatBytes(...parts);
}

export function randomBytes(n: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(n));
}
