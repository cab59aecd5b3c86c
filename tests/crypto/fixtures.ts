/** Shared helpers for the crypto tests: identities, and bit flips inside base64url fields. */
import { fromBase64Url, toBase64Url } from "../../src/crypto/encoding.ts";
import {
  decodeEnvelope,
  type Envelope,
  envelopeSignedBytes,
  headerBytes,
} from "../../src/crypto/envelope-format.ts";
import { createIdentity, type Identity } from "../../src/crypto/identity.ts";

export async function devices(user: string, names: string[]): Promise<Identity[]> {
  return Promise.all(names.map((device) => createIdentity({ user, device })));
}

/** The base64url field with bit `bit` (counted over its decoded bytes) flipped. */
export function flipBit(field: string, bit: number): string {
  const bytes = fromBase64Url(field);
  if (!bytes) throw new Error(`not base64url: ${field}`);
  const copy = new Uint8Array(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return toBase64Url(copy);
}

/** `count` bit positions spread over a field of `bytes` bytes, first and last included. */
export function spreadBits(bytes: number, count: number): number[] {
  const total = bytes * 8;
  const step = Math.max(1, Math.floor((total - 1) / (count - 1)));
  const bits = new Set<number>();
  for (let b = 0; b < total && bits.size < count - 1; b += step) bits.add(b);
  bits.add(total - 1);
  return [...bits];
}

export function byteLength(field: string): number {
  return fromBase64Url(field)?.length ?? 0;
}

/** The envelope as is, with a valid signature by `signer` over it: what an insider could forge. */
export async function signAs(signer: Identity, envelope: Envelope): Promise<Envelope> {
  const d = decodeEnvelope(envelope);
  if (!d) throw new Error("undecodable envelope");
  const signed = envelopeSignedBytes(headerBytes(d.header), d.iv, d.ct, d.keys);
  const sig = await crypto.subtle.sign("Ed25519", signer.signing.privateKey, signed);
  return { ...envelope, sig: toBase64Url(new Uint8Array(sig)) };
}
