/**
 * Device bundles: the public half of a device identity, signed by the device's own Ed25519 key
 * over its user id, device id and both public keys. Servers store and hand them out; clients
 * accept one only through verifyBundle, which yields the VerifiedBundle type that seal() requires.
 */
import { z } from "zod";
import { type Bytes, fromBase64Url, toBase64Url, transcript } from "./encoding.ts";
import {
  base64UrlOf,
  deviceId,
  ED25519_PUBLIC_BYTES,
  SIGNATURE_BYTES,
  userId,
  X25519_PUBLIC_BYTES,
} from "./wire.ts";

export const deviceBundleSchema = z.object({
  v: z.literal(1),
  user: userId,
  device: deviceId,
  /** X25519 public key, raw 32 bytes, for key agreement. */
  x25519: base64UrlOf(X25519_PUBLIC_BYTES),
  /** Ed25519 public key, raw 32 bytes, for signatures. */
  ed25519: base64UrlOf(ED25519_PUBLIC_BYTES),
  /** Ed25519 signature by `ed25519` over bundleSignedBytes(). */
  sig: base64UrlOf(SIGNATURE_BYTES),
});

export type DeviceBundle = z.infer<typeof deviceBundleSchema>;

declare const verified: unique symbol;
/** A bundle whose signature and keys have been checked; only this module makes them. */
export type VerifiedBundle = DeviceBundle & { readonly [verified]: true };

export type BundleCheck =
  | { ok: true; bundle: VerifiedBundle }
  | {
      ok: false;
      reason: "malformed" | "bad-signature" | "bad-key" | "wrong-user" | "wrong-device";
    };

const LABEL = "parley/e2ee/v1/bundle";

/** The exact bytes a bundle signature covers. */
export function bundleSignedBytes(b: {
  user: string;
  device: string;
  x25519: Uint8Array;
  ed25519: Uint8Array;
}): Bytes {
  return transcript([LABEL, b.user, b.device, b.x25519, b.ed25519]);
}

/** Signs a fresh bundle; identity.ts calls it when a device identity is created. */
export async function signBundle(input: {
  user: string;
  device: string;
  x25519: Bytes;
  ed25519: Bytes;
  signingKey: CryptoKey;
}): Promise<VerifiedBundle> {
  const sig = new Uint8Array(
    await crypto.subtle.sign("Ed25519", input.signingKey, bundleSignedBytes(input)),
  );
  const bundle: DeviceBundle = {
    v: 1,
    user: input.user,
    device: input.device,
    x25519: toBase64Url(input.x25519),
    ed25519: toBase64Url(input.ed25519),
    sig: toBase64Url(sig),
  };
  return bundle as VerifiedBundle;
}

/**
 * Checks a bundle from anywhere (server, cache, another client): its shape, its signature, that
 * its X25519 key is usable (not a low-order point), and optionally whose it claims to be.
 * Returns a copy holding only the known fields.
 */
export async function verifyBundle(
  input: unknown,
  expect: { user?: string; device?: string } = {},
): Promise<BundleCheck> {
  const parsed = deviceBundleSchema.safeParse(input);
  if (!parsed.success) return { ok: false, reason: "malformed" };
  const b = parsed.data;
  if (expect.user !== undefined && b.user !== expect.user)
    return { ok: false, reason: "wrong-user" };
  if (expect.device !== undefined && b.device !== expect.device) {
    return { ok: false, reason: "wrong-device" };
  }
  const x25519 = fromBase64Url(b.x25519);
  const ed25519 = fromBase64Url(b.ed25519);
  const sig = fromBase64Url(b.sig);
  if (!x25519 || !ed25519 || !sig) return { ok: false, reason: "malformed" };
  let verifyKey: CryptoKey;
  try {
    verifyKey = await crypto.subtle.importKey("raw", ed25519, "Ed25519", false, ["verify"]);
  } catch {
    return { ok: false, reason: "bad-key" };
  }
  const signed = bundleSignedBytes({ user: b.user, device: b.device, x25519, ed25519 });
  if (!(await crypto.subtle.verify("Ed25519", verifyKey, sig, signed))) {
    return { ok: false, reason: "bad-signature" };
  }
  if (!(await isUsableX25519(x25519))) return { ok: false, reason: "bad-key" };
  return { ok: true, bundle: b as VerifiedBundle };
}

/**
 * A device may sign a low-order X25519 point, whose shared secret is all zeros whoever computes
 * it; WebCrypto refuses to derive from one, so try once with a throwaway key.
 */
async function isUsableX25519(raw: Bytes): Promise<boolean> {
  try {
    const publicKey = await crypto.subtle.importKey("raw", raw, "X25519", false, []);
    const probe = (await crypto.subtle.generateKey("X25519", false, [
      "deriveBits",
    ])) as CryptoKeyPair;
    await crypto.subtle.deriveBits({ name: "X25519", public: publicKey }, probe.privateKey, 256);
    return true;
  } catch {
    return false;
  }
}

/** Imports a verified bundle's X25519 public key for key agreement. */
export function importAgreementKey(bundle: VerifiedBundle): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", rawKey(bundle.x25519), "X25519", false, []);
}

/** Imports a verified bundle's Ed25519 public key for signature checks. */
export function importVerifyKey(bundle: VerifiedBundle): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", rawKey(bundle.ed25519), "Ed25519", false, ["verify"]);
}

/** Raw bytes of a key field of a verified bundle (already known to decode). */
export function rawKey(field: string): Bytes {
  const bytes = fromBase64Url(field);
  if (!bytes) throw new Error("unreachable: verified bundle with an undecodable key");
  return bytes;
}

/** Same device and same keys: what the key book and seal() compare. */
export function sameKeys(a: DeviceBundle, b: DeviceBundle): boolean {
  return a.x25519 === b.x25519 && a.ed25519 === b.ed25519;
}
