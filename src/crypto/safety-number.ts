/**
 * Safety numbers: 60 digits two users compare (read aloud, or side by side) to rule out a server
 * that swapped or added device keys. Each user's half is 30 digits derived from their user id
 * and all of their device keys; the two halves are sorted, so both users compute the same string.
 * accountSafetyNumber() covers each user's account identity key, so adding or removing one's own
 * linked devices leaves it as it was; safetyNumber() (scheme v1) covers every device key.
 */
import { rawKey, sameKeys, type VerifiedBundle } from "./bundle.ts";
import { CryptoError } from "./crypto-error.ts";
import { transcript } from "./encoding.ts";

const LABEL = "parley/e2ee/v1/safety-number";
const ACCOUNT_LABEL = "parley/e2ee/v1/account-safety-number";
const LINK_LABEL = "parley/e2ee/v1/link-code";
/**
 * PBKDF2 rounds, as many as Signal's 5200 hash iterations: they make each guess of an attacker
 * who grinds keys for a number that merely looks alike about 2^12 times dearer (about 2 ms per
 * half here).
 */
const ROUNDS = 5200;
const CHUNKS = 6;
const CHUNK_BYTES = 5;

/**
 * The safety number of two users, in 12 groups of 5 digits separated by spaces. Pass every device
 * bundle you hold for each user (your own devices included); argument order does not matter.
 */
export async function safetyNumber(
  myUser: string,
  myBundles: readonly VerifiedBundle[],
  theirUser: string,
  theirBundles: readonly VerifiedBundle[],
): Promise<string> {
  const halves = await Promise.all([half(myUser, myBundles), half(theirUser, theirBundles)]);
  const digits = halves.sort().join("");
  return digits.match(/\d{5}/g)?.join(" ") ?? "";
}

/**
 * The safety number of two users from their account identity keys (raw Ed25519, base64url), in
 * 12 groups of 5 digits; argument order does not matter.
 */
export async function accountSafetyNumber(
  myUser: string,
  myKey: string,
  theirUser: string,
  theirKey: string,
): Promise<string> {
  const halves = await Promise.all([
    digits(transcript([ACCOUNT_LABEL, myUser, rawKey(myKey)]), myUser, ACCOUNT_LABEL),
    digits(transcript([ACCOUNT_LABEL, theirUser, rawKey(theirKey)]), theirUser, ACCOUNT_LABEL),
  ]);
  return halves.sort().join("").match(/\d{5}/g)?.join(" ") ?? "";
}

/**
 * The code a new device shows and an existing device of the same account shows for it, before
 * the existing one signs it into the device list: 12 digits from a hash of the new device's
 * keys (a server that grinds keys for a lookalike needs about 2^40 tries per guess).
 */
export async function linkCode(bundle: VerifiedBundle): Promise<string> {
  const bytes = transcript([
    LINK_LABEL,
    bundle.user,
    bundle.device,
    rawKey(bundle.x25519),
    rawKey(bundle.ed25519),
  ]);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let out = "";
  for (let c = 0; c < 3; c++) {
    let n = 0;
    for (let i = 0; i < 4; i++) n = n * 256 + (hash[c * 4 + i] as number);
    out += String(n % 10_000).padStart(4, "0");
  }
  return out.match(/\d{4}/g)?.join(" ") ?? "";
}

/** 30 digits for one user: six 40-bit chunks of PBKDF2 output, each reduced mod 100000. */
async function half(user: string, bundles: readonly VerifiedBundle[]): Promise<string> {
  const devices = distinctDevices(user, bundles);
  const password = transcript([
    LABEL,
    user,
    String(devices.length),
    ...devices.flatMap((b) => [b.device, rawKey(b.x25519), rawKey(b.ed25519)]),
  ]);
  return digits(password, user, LABEL);
}

async function digits(password: Uint8Array<ArrayBuffer>, user: string, label: string) {
  const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-512", salt: transcript([label, user]), iterations: ROUNDS },
      key,
      CHUNKS * CHUNK_BYTES * 8,
    ),
  );
  let out = "";
  for (let c = 0; c < CHUNKS; c++) {
    let n = 0;
    for (let i = 0; i < CHUNK_BYTES; i++) n = n * 256 + (bits[c * CHUNK_BYTES + i] as number);
    out += String(n % 100_000).padStart(5, "0");
  }
  return out;
}

/** Bundles sorted by device id, repeats dropped; refuses a foreign or conflicting bundle. */
function distinctDevices(user: string, bundles: readonly VerifiedBundle[]): VerifiedBundle[] {
  const byDevice = new Map<string, VerifiedBundle>();
  for (const b of bundles) {
    if (b.user !== user) throw new CryptoError("USER_MISMATCH");
    const seen = byDevice.get(b.device);
    if (seen && !sameKeys(seen, b)) {
      throw new CryptoError("DUPLICATE_DEVICE");
    }
    byDevice.set(b.device, b);
  }
  return [...byDevice.values()].sort((a, b) =>
    a.device < b.device ? -1 : a.device > b.device ? 1 : 0,
  );
}
