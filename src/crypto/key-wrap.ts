/**
 * Wrapping the per-message content key for one device (ECIES style): X25519 between the
 * envelope's ephemeral key and the device's static key, HKDF-SHA256 to a single-use AES-256-GCM
 * key, and AES-GCM over the 32-byte content key.
 *
 * Why a constant IV is safe here: each wrapping key is used for exactly one encryption. Its HKDF
 * input is the ephemeral key (fresh per envelope, never reused) and the device's key, and its info
 * names the device, which appears at most once per envelope. A (key, IV) pair therefore never
 * repeats.
 */
import { type Bytes, concatBytes, transcript } from "./encoding.ts";
import { GCM_IV_BYTES } from "./wire.ts";

const WRAP_IV = new Uint8Array(GCM_IV_BYTES);

/** Everything that names one wrapping: who derives it and for which device. */
export interface WrapContext {
  /** The envelope's ephemeral public key, raw. */
  epk: Bytes;
  /** The recipient device's X25519 public key, raw. */
  recipientKey: Bytes;
  user: string;
  device: string;
  /** The envelope header bytes, used as AAD. */
  aad: Bytes;
}

/**
 * The single-use wrapping key. The salt holds both public keys (so the secret is bound to the
 * exact pair that produced it, as in HPKE's kem_context), the info names the recipient device.
 */
async function wrappingKey(
  privateKey: CryptoKey,
  publicKey: CryptoKey,
  ctx: WrapContext,
): Promise<CryptoKey> {
  const shared = await crypto.subtle.deriveBits(
    { name: "X25519", public: publicKey },
    privateKey,
    256,
  );
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: concatBytes(ctx.epk, ctx.recipientKey),
      info: transcript(["parley/e2ee/v1/wrap", ctx.user, ctx.device]),
    },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Sender side: `ephemeral` is the envelope's private key, `recipient` the device's public key. */
export async function wrapContentKey(
  contentKey: Bytes,
  ephemeral: CryptoKey,
  recipient: CryptoKey,
  ctx: WrapContext,
): Promise<Bytes> {
  const key = await wrappingKey(ephemeral, recipient, ctx);
  const wrapped = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: WRAP_IV, additionalData: ctx.aad },
    key,
    contentKey,
  );
  return new Uint8Array(wrapped);
}

/** Recipient side: undefined when the wrapped key or anything in the AAD was altered. */
export async function unwrapContentKey(
  wrapped: Bytes,
  devicePrivate: CryptoKey,
  ephemeralPublic: CryptoKey,
  ctx: WrapContext,
): Promise<Bytes | undefined> {
  try {
    const key = await wrappingKey(devicePrivate, ephemeralPublic, ctx);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: WRAP_IV, additionalData: ctx.aad },
      key,
      wrapped,
    );
    return new Uint8Array(plain);
  } catch {
    return undefined;
  }
}
