/**
 * Signed device lists: a user's account identity key (Ed25519, one per account, kept only on the
 * user's linked devices) signs the exact set of device bundles the account has, with a version
 * counter that only grows. A reader accepts a device only when it is in a list signed by the
 * identity key it trusts for that user, so a device the server adds on its own is never accepted.
 */
import { z } from "zod";
import {
  type DeviceBundle,
  deviceBundleSchema,
  rawKey,
  type VerifiedBundle,
  verifyBundle,
} from "./bundle.ts";
import { CryptoError } from "./crypto-error.ts";
import { type Bytes, fromBase64Url, toBase64Url, transcript } from "./encoding.ts";
import { base64UrlOf, ED25519_PUBLIC_BYTES, SIGNATURE_BYTES, userId } from "./wire.ts";

/** Devices one signed list may hold; the server allows 10 per user, this leaves room. */
export const LIST_DEVICES_MAX = 32;
const LABEL = "parley/e2ee/v1/device-list";

export const deviceListSchema = z.object({
  v: z.literal(1),
  user: userId,
  /** Grows by at least one with every list the account signs; readers refuse to go back. */
  version: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** The account identity key (Ed25519 public, raw 32 bytes) that signed the list. */
  key: base64UrlOf(ED25519_PUBLIC_BYTES),
  /** Every device of the account, sorted by device id, each once. */
  devices: z.array(deviceBundleSchema).min(1).max(LIST_DEVICES_MAX),
  sig: base64UrlOf(SIGNATURE_BYTES),
});
export type DeviceList = z.infer<typeof deviceListSchema>;

declare const checked: unique symbol;
/** A list whose signature and every bundle have been checked; only this module makes them. */
export type VerifiedDeviceList = Omit<DeviceList, "devices"> & {
  readonly devices: VerifiedBundle[];
  /** SHA-256 of the signed bytes, base64url: two lists are the same list iff these match. */
  readonly hash: string;
  readonly [checked]: true;
};

export type DeviceListCheck =
  | { ok: true; list: VerifiedDeviceList }
  | {
      ok: false;
      reason: "malformed" | "wrong-user" | "bad-signature" | "bad-device" | "unsorted";
    };

/** The exact bytes a list signature covers. */
function signedBytes(l: { user: string; version: number; key: string; devices: DeviceBundle[] }) {
  return transcript([
    LABEL,
    l.user,
    String(l.version),
    rawKey(l.key),
    String(l.devices.length),
    ...l.devices.flatMap((b) => [b.device, rawKey(b.x25519), rawKey(b.ed25519)]),
  ]);
}

async function hashOf(bytes: Bytes): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** Makes a fresh account identity key pair. */
export async function createAccountKey(extractable = false): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey("Ed25519", extractable, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
}

/** The raw public account key in base64url: what safety numbers and key books pin. */
export async function accountKeyId(pair: CryptoKeyPair): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
}

/** Signs a list of `devices` for `user` at `version` with the account key. */
export async function signDeviceList(input: {
  user: string;
  version: number;
  account: CryptoKeyPair;
  devices: readonly VerifiedBundle[];
}): Promise<VerifiedDeviceList> {
  const byDevice = new Map<string, VerifiedBundle>();
  for (const b of input.devices) {
    if (b.user !== input.user) throw new CryptoError("USER_MISMATCH");
    byDevice.set(b.device, b);
  }
  if (byDevice.size > LIST_DEVICES_MAX) throw new CryptoError("TOO_MANY_DEVICES");
  const devices = [...byDevice.values()].sort((a, b) => compare(a.device, b.device));
  const key = await accountKeyId(input.account);
  const fields = { user: input.user, version: input.version, key, devices };
  const bytes = signedBytes(fields);
  const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", input.account.privateKey, bytes));
  return {
    v: 1,
    ...fields,
    sig: toBase64Url(sig),
    hash: await hashOf(bytes),
  } as VerifiedDeviceList;
}

/**
 * Checks a list from anywhere: shape, the expected user, sorted unique devices, every bundle's
 * own signature, and the account key's signature. Returns a copy holding the schema's fields
 * and the list's hash. Whether `key` is the key to trust for the user is the key book's call.
 */
export async function verifyDeviceList(
  input: unknown,
  expect: { user?: string } = {},
): Promise<DeviceListCheck> {
  const parsed = deviceListSchema.safeParse(input);
  if (!parsed.success) return { ok: false, reason: "malformed" };
  const l = parsed.data;
  if (expect.user !== undefined && l.user !== expect.user)
    return { ok: false, reason: "wrong-user" };
  for (let i = 1; i < l.devices.length; i++) {
    if (
      compare((l.devices[i - 1] as DeviceBundle).device, (l.devices[i] as DeviceBundle).device) >= 0
    ) {
      return { ok: false, reason: "unsorted" };
    }
  }
  const key = fromBase64Url(l.key);
  const sig = fromBase64Url(l.sig);
  if (!key || !sig) return { ok: false, reason: "malformed" };
  const devices: VerifiedBundle[] = [];
  for (const b of l.devices) {
    const check = await verifyBundle(b, { user: l.user });
    if (!check.ok) return { ok: false, reason: "bad-device" };
    devices.push(check.bundle);
  }
  const fields = { user: l.user, version: l.version, key: l.key, devices };
  const bytes = signedBytes(fields);
  try {
    const verifyKey = await crypto.subtle.importKey("raw", key, "Ed25519", false, ["verify"]);
    if (!(await crypto.subtle.verify("Ed25519", verifyKey, sig, bytes))) {
      return { ok: false, reason: "bad-signature" };
    }
  } catch {
    return { ok: false, reason: "bad-signature" };
  }
  const list = { v: 1 as const, ...fields, sig: l.sig, hash: await hashOf(bytes) };
  return { ok: true, list: list as VerifiedDeviceList };
}

/** The wire form of a verified list (without its local hash). */
export function deviceListWire(list: VerifiedDeviceList): DeviceList {
  const { hash: _hash, ...wire } = list;
  return {
    ...wire,
    devices: wire.devices.map(({ v, user, device, x25519, ed25519, sig }) => ({
      v,
      user,
      device,
      x25519,
      ed25519,
      sig,
    })),
  };
}

/** Whether `bundle` is in `list` with exactly the same keys. */
export function listHolds(list: { devices: readonly DeviceBundle[] }, bundle: DeviceBundle) {
  return list.devices.some(
    (b) => b.device === bundle.device && b.x25519 === bundle.x25519 && b.ed25519 === bundle.ed25519,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
