/**
 * A device identity: an X25519 key pair for key agreement and an Ed25519 key pair for signing,
 * with the signed public bundle. Private keys never leave the device. Two ways to keep one:
 * - browser: store the Identity object itself in IndexedDB (CryptoKeys survive structured
 *   cloning), created with `extractable: false` so script can use but never read the keys;
 * - terminal: createIdentity({ extractable: true }), exportIdentity() to JSON for a 0600 file,
 *   importIdentity() when the client starts.
 */
import { z } from "zod";
import { signBundle, type VerifiedBundle, verifyBundle } from "./bundle.ts";
import { CryptoError } from "./crypto-error.ts";
import { fromBase64Url, randomBytes, toBase64Url } from "./encoding.ts";
import { base64UrlOf, deviceId, ID_MAX, userId } from "./wire.ts";

export interface Identity {
  readonly user: string;
  readonly device: string;
  /** X25519: deriveBits on the private key. */
  readonly agreement: CryptoKeyPair;
  /** Ed25519: sign on the private key. */
  readonly signing: CryptoKeyPair;
  /** The public bundle to publish, signed by `signing`. */
  readonly bundle: VerifiedBundle;
  /**
   * The account identity key (Ed25519), on a device linked to the account: it signs the
   * account's device list. Absent on a device not yet linked.
   */
  readonly account?: CryptoKeyPair;
}

/** The identity with the account key it now holds (or drops, given undefined). */
export function withAccountKey(identity: Identity, account: CryptoKeyPair | undefined): Identity {
  const { account: _old, ...rest } = identity;
  return account ? { ...rest, account } : rest;
}

/**
 * Creates a device identity.
 * @param options.device  defaults to 128 random bits in base64url (22 characters)
 * @param options.extractable  whether the private keys can be exported; @default false
 */
export async function createIdentity(options: {
  user: string;
  device?: string;
  extractable?: boolean;
}): Promise<Identity> {
  const user = checkedId(options.user);
  const device = checkedId(options.device ?? toBase64Url(randomBytes(16)));
  const extractable = options.extractable ?? false;
  const agreement = (await crypto.subtle.generateKey("X25519", extractable, [
    "deriveBits",
  ])) as CryptoKeyPair;
  const signing = (await crypto.subtle.generateKey("Ed25519", extractable, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return assemble(user, device, agreement, signing);
}

async function assemble(
  user: string,
  device: string,
  agreement: CryptoKeyPair,
  signing: CryptoKeyPair,
): Promise<Identity> {
  const bundle = await signBundle({
    user,
    device,
    x25519: new Uint8Array(await crypto.subtle.exportKey("raw", agreement.publicKey)),
    ed25519: new Uint8Array(await crypto.subtle.exportKey("raw", signing.publicKey)),
    signingKey: signing.privateKey,
  });
  return { user, device, agreement, signing, bundle };
}

function checkedId(id: string): string {
  if (id.length < 1 || id.length > ID_MAX) throw new CryptoError("INVALID_ID");
  return id;
}

const privateJwk = (crv: "X25519" | "Ed25519") =>
  z.object({
    kty: z.literal("OKP"),
    crv: z.literal(crv),
    /** Public key, raw 32 bytes in base64url. */
    x: base64UrlOf(32),
    /** Private key, raw 32 bytes in base64url. */
    d: base64UrlOf(32),
  });

/** The JSON form of an identity for a file only its owner can read. It holds private keys. */
export const identityFileSchema = z.object({
  v: z.literal(1),
  user: userId,
  device: deviceId,
  x25519: privateJwk("X25519"),
  ed25519: privateJwk("Ed25519"),
  /** The account identity key, on a linked device. */
  account: privateJwk("Ed25519").optional(),
});
export type IdentityFile = z.infer<typeof identityFileSchema>;

/** Serialises an identity with its private keys as JWK; throws NOT_EXTRACTABLE if it cannot. */
export async function exportIdentity(identity: Identity): Promise<IdentityFile> {
  if (
    !identity.agreement.privateKey.extractable ||
    !identity.signing.privateKey.extractable ||
    (identity.account && !identity.account.privateKey.extractable)
  ) {
    throw new CryptoError("NOT_EXTRACTABLE");
  }
  const jwk = async (key: CryptoKey) => {
    const { kty, crv, x, d } = await crypto.subtle.exportKey("jwk", key);
    return { kty, crv, x, d };
  };
  return identityFileSchema.parse({
    v: 1,
    user: identity.user,
    device: identity.device,
    x25519: await jwk(identity.agreement.privateKey),
    ed25519: await jwk(identity.signing.privateKey),
    ...(identity.account ? { account: await jwk(identity.account.privateKey) } : {}),
  });
}

export type IdentityImport =
  | { ok: true; identity: Identity }
  | { ok: false; reason: "malformed" | "bad-key" };

/**
 * Reads an identity file back. Checks that each private key matches its public key, so a
 * corrupted or hand-edited file is refused rather than producing a device nobody can reach.
 * @param options.extractable  whether the imported private keys can be exported again; @default false
 */
export async function importIdentity(
  file: unknown,
  options: { extractable?: boolean } = {},
): Promise<IdentityImport> {
  const parsed = identityFileSchema.safeParse(file);
  if (!parsed.success) return { ok: false, reason: "malformed" };
  const f = parsed.data;
  const extractable = options.extractable ?? false;
  try {
    const agreement = await importPair(f.x25519, "X25519", extractable, ["deriveBits"], []);
    const signing = await importPair(f.ed25519, "Ed25519", extractable, ["sign"], ["verify"]);
    if (!(await agreementPairMatches(agreement))) return { ok: false, reason: "bad-key" };
    const identity = await assemble(f.user, f.device, agreement, signing);
    // Re-verify the bundle we just signed: proves the Ed25519 halves belong together.
    const check = await verifyBundle(identity.bundle, { user: f.user, device: f.device });
    if (!check.ok) return { ok: false, reason: "bad-key" };
    if (!f.account) return { ok: true, identity };
    const account = await importPair(f.account, "Ed25519", extractable, ["sign"], ["verify"]);
    if (!(await signingPairMatches(account))) return { ok: false, reason: "bad-key" };
    return { ok: true, identity: withAccountKey(identity, account) };
  } catch {
    return { ok: false, reason: "bad-key" };
  }
}

/**
 * Checks an identity kept as it is rather than exported (a browser keeps its non-extractable
 * CryptoKeys in IndexedDB, by structured clone): the keys are CryptoKeys, the X25519 pair
 * agrees, and the bundle its Ed25519 key signs afresh verifies for the same user and device.
 */
export async function checkIdentity(value: unknown): Promise<IdentityImport> {
  if (typeof value !== "object" || value === null) return { ok: false, reason: "malformed" };
  const v = value as {
    user?: unknown;
    device?: unknown;
    agreement?: unknown;
    signing?: unknown;
    account?: unknown;
  };
  if (
    typeof v.user !== "string" ||
    typeof v.device !== "string" ||
    !isKeyPair(v.agreement) ||
    !isKeyPair(v.signing) ||
    (v.account !== undefined && !isKeyPair(v.account))
  ) {
    return { ok: false, reason: "malformed" };
  }
  try {
    if (!(await agreementPairMatches(v.agreement))) return { ok: false, reason: "bad-key" };
    const identity = await assemble(v.user, v.device, v.agreement, v.signing);
    const check = await verifyBundle(identity.bundle, { user: v.user, device: v.device });
    if (!check.ok) return { ok: false, reason: "bad-key" };
    const account = v.account as CryptoKeyPair | undefined;
    if (account && !(await signingPairMatches(account))) return { ok: false, reason: "bad-key" };
    return { ok: true, identity: withAccountKey(identity, account) };
  } catch {
    return { ok: false, reason: "bad-key" };
  }
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  const pair = value as Partial<CryptoKeyPair> | null;
  return (
    typeof pair === "object" &&
    pair !== null &&
    pair.privateKey instanceof CryptoKey &&
    pair.publicKey instanceof CryptoKey
  );
}

async function importPair(
  jwk: { kty: string; crv: string; x: string; d: string },
  algorithm: "X25519" | "Ed25519",
  extractable: boolean,
  privateUsages: KeyUsage[],
  publicUsages: KeyUsage[],
): Promise<CryptoKeyPair> {
  const x = fromBase64Url(jwk.x);
  if (!x) throw new Error("bad public key");
  const privateKey = await crypto.subtle.importKey(
    "jwk",
    { ...jwk, ext: extractable },
    algorithm,
    extractable,
    privateUsages,
  );
  const publicKey = await crypto.subtle.importKey("raw", x, algorithm, true, publicUsages);
  return { privateKey, publicKey };
}

/**
 * A JWK's `x` is not checked against `d` on import, so test the X25519 pair by agreement with a
 * throwaway key (the Ed25519 pair is tested by verifying the bundle it signs).
 */
async function agreementPairMatches(agreement: CryptoKeyPair): Promise<boolean> {
  const probe = (await crypto.subtle.generateKey("X25519", false, ["deriveBits"])) as CryptoKeyPair;
  const mine = await crypto.subtle.deriveBits(
    { name: "X25519", public: probe.publicKey },
    agreement.privateKey,
    256,
  );
  const theirs = await crypto.subtle.deriveBits(
    { name: "X25519", public: agreement.publicKey },
    probe.privateKey,
    256,
  );
  return toBase64Url(new Uint8Array(mine)) === toBase64Url(new Uint8Array(theirs));
}

/** An Ed25519 pair belongs together when what the private half signs, the public half verifies. */
async function signingPairMatches(pair: CryptoKeyPair): Promise<boolean> {
  const probe = new Uint8Array(32);
  const sig = await crypto.subtle.sign("Ed25519", pair.privateKey, probe);
  return crypto.subtle.verify("Ed25519", pair.publicKey, sig, probe);
}
