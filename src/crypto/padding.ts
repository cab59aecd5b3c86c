/**
 * Length padding for message text (ISO/IEC 7816-4: a 0x80 byte, then zeros up to a multiple of
 * PAD_BLOCK), so a ciphertext tells the server the text length only to within PAD_BLOCK bytes.
 */
import type { Bytes } from "./encoding.ts";
import { PAD_BLOCK } from "./wire.ts";

export function pad(bytes: Uint8Array): Bytes {
  const out = new Uint8Array(Math.ceil((bytes.length + 1) / PAD_BLOCK) * PAD_BLOCK);
  out.set(bytes);
  out[bytes.length] = 0x80;
  return out;
}

/** The original bytes, or undefined if the padding is not exactly what pad() writes. */
export function unpad(padded: Uint8Array): Bytes | undefined {
  if (padded.length === 0 || padded.length % PAD_BLOCK !== 0) return undefined;
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x80 || padded.length - end > PAD_BLOCK) return undefined;
  return padded.slice(0, end);
}
