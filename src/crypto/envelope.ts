/**
 * seal() and open(): a private message encrypted on the sender's device for a list of devices.
 *
 * seal: a fresh random 256-bit content key, through HKDF, encrypts the padded text (AES-256-GCM,
 * AAD = header) and commits to itself (content-key.ts); a fresh ephemeral X25519 key wraps that
 * content key once per device (key-wrap.ts); the sending device signs the lot with Ed25519. Every AES-GCM key is used for exactly one encryption, so
 * no (key, IV) pair can repeat whatever the IVs are.
 *
 * open: any failure of shape, binding, signature or decryption is the value
 * `{ outcome: "tampered" }`, never a throw and never partial text.
 */
import {
  importAgreementKey,
  importVerifyKey,
  rawKey,
  sameKeys,
  type VerifiedBundle,
} from "./bundle.ts";
import { contentCipher, newContentKey } from "./content-key.ts";
import { CryptoError } from "./crypto-error.ts";
import { fromUtf8, randomBytes, toBase64Url, utf8 } from "./encoding.ts";
import {
  decodeEnvelope,
  deviceKey,
  type Envelope,
  envelopeSchema,
  envelopeSignedBytes,
  headerBytes,
} from "./envelope-format.ts";
import type { Identity } from "./identity.ts";
import { unwrapContentKey, wrapContentKey } from "./key-wrap.ts";
import { pad, unpad } from "./padding.ts";
import {
  CONVERSATION_MAX,
  DEVICES_MAX,
  GCM_IV_BYTES,
  GROUP_DEVICES_MAX,
  ID_MAX,
  TEXT_BYTES_MAX,
} from "./wire.ts";

export interface SealOptions {
  /** The sending device. */
  from: Identity;
  conversation: string;
  text: string;
  /**
   * Every device that should be able to read the message: all of the recipients' devices and
   * the sender's other devices. The sending device is always added, so it can read its own
   * history back from the server.
   */
  to: readonly VerifiedBundle[];
  /** Message id; use the frame's client id (cid) so retries and replays share one id. @default 128 random bits */
  id?: string;
  /** @default Date.now */
  now?: () => number;
  /** Most devices addressed: GROUP_DEVICES_MAX for a group. @default DEVICES_MAX */
  maxDevices?: number;
}

export async function seal(options: SealOptions): Promise<Envelope> {
  const { from, conversation, text } = options;
  const id = options.id ?? toBase64Url(randomBytes(16));
  if (conversation.length < 1 || conversation.length > CONVERSATION_MAX) {
    throw new CryptoError("INVALID_ID");
  }
  if (id.length < 1 || id.length > ID_MAX) throw new CryptoError("INVALID_ID");
  const plain = utf8(text);
  if (plain.length > TEXT_BYTES_MAX) throw new CryptoError("TEXT_TOO_LARGE");
  const devices = recipientDevices(from.bundle, options.to, options.maxDevices ?? DEVICES_MAX);

  const ephemeral = (await crypto.subtle.generateKey("X25519", false, [
    "deriveBits",
  ])) as CryptoKeyPair;
  const epk = new Uint8Array(await crypto.subtle.exportKey("raw", ephemeral.publicKey));
  const contentKey = newContentKey();
  const content = await contentCipher(contentKey, "encrypt");
  const to = devices.map((b) => ({ u: b.user, d: b.device }));
  // Whole non-negative milliseconds, as the schema requires, whatever clock was injected.
  const at = Math.max(0, Math.floor((options.now ?? Date.now)()));
  const sender = { u: from.user, d: from.device };
  const header = { conv: conversation, id, at, from: sender, to, epk, kc: content.commitment };
  const headerAad = headerBytes(header);

  const iv = randomBytes(GCM_IV_BYTES);
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: headerAad },
      content.key,
      pad(plain),
    ),
  );
  const keys = await Promise.all(
    devices.map(async (bundle) =>
      wrapContentKey(contentKey, ephemeral.privateKey, await importAgreementKey(bundle), {
        epk,
        recipientKey: rawKey(bundle.x25519),
        user: bundle.user,
        device: bundle.device,
        aad: headerAad,
      }),
    ),
  );
  const sig = new Uint8Array(
    await crypto.subtle.sign(
      "Ed25519",
      from.signing.privateKey,
      envelopeSignedBytes(headerAad, iv, ct, keys),
    ),
  );
  return {
    v: 1,
    conv: conversation,
    id,
    at,
    from: sender,
    to: to.map((r, i) => ({ ...r, k: toBase64Url(keys[i] as Uint8Array) })),
    epk: toBase64Url(epk),
    kc: toBase64Url(content.commitment),
    iv: toBase64Url(iv),
    ct: toBase64Url(ct),
    sig: toBase64Url(sig),
  };
}

/** The sender's device plus `to`, without repeats, in a canonical order (by user, then device). */
function recipientDevices(
  self: VerifiedBundle,
  to: readonly VerifiedBundle[],
  max: number,
): VerifiedBundle[] {
  const byDevice = new Map<string, VerifiedBundle>();
  for (const bundle of [self, ...to]) {
    const key = deviceKey(bundle.user, bundle.device);
    const seen = byDevice.get(key);
    if (seen && !sameKeys(seen, bundle)) throw new CryptoError("DUPLICATE_DEVICE");
    byDevice.set(key, seen ?? bundle);
  }
  if (byDevice.size > Math.min(max, GROUP_DEVICES_MAX)) throw new CryptoError("TOO_MANY_DEVICES");
  return [...byDevice.values()].sort(
    (a, b) => compare(a.user, b.user) || compare(a.device, b.device),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type TamperReason =
  /** Not an envelope of this version: wrong shape, bad base64url, a repeated device. */
  | "malformed"
  /** Signed for another conversation than the one it was delivered in. */
  | "conversation"
  /** The sender or a recipient is not a participant the caller named. */
  | "participants"
  /** The sender device's signature does not cover this envelope. */
  | "signature"
  /** The content key wrapped for this device does not decrypt (or this device's keys changed). */
  | "wrapped-key"
  /** The sender wrapped a different content key for this device than the one it committed to. */
  | "key-commitment"
  /** The ciphertext, its IV or its header does not decrypt. */
  | "ciphertext"
  /** Decrypted, but the padding or the UTF-8 is not what seal() writes. */
  | "encoding";

export interface DeviceRef {
  user: string;
  device: string;
}

export type OpenResult =
  | {
      outcome: "opened";
      text: string;
      id: string;
      /** Sender's clock at sealing (signed by the sender, so only as honest as its clock). */
      at: number;
      conversation: string;
      from: DeviceRef;
      /** Every device the sender addressed: show it if it holds someone unexpected. */
      to: DeviceRef[];
    }
  /** Authentic, but not sealed for this device (e.g. sent before this device was known). */
  | { outcome: "not-addressed" }
  /** No bundle for the claimed sender device among `senders`: fetch it, check it, retry. */
  | { outcome: "unknown-sender"; from: DeviceRef }
  | { outcome: "tampered"; reason: TamperReason };

export interface OpenOptions {
  /** The receiving device. */
  me: Identity;
  /** The conversation the envelope was delivered in; it must be the one it was sealed for. */
  conversation: string;
  /** Known, verified device bundles of the possible senders (e.g. from the key book). */
  senders: readonly VerifiedBundle[];
  /** If given, the sender and every recipient must be one of these users (a DM's two users). */
  participants?: readonly string[];
  /**
   * The content key of this envelope from a key backup, used when it was not sealed for this
   * device. It is accepted only if it matches the signed key commitment.
   */
  contentKey?: Uint8Array<ArrayBuffer>;
  /** Called with the content key once the envelope opened (to add it to a key backup). */
  onContentKey?: (key: Uint8Array<ArrayBuffer>) => void;
}

/** Opens an envelope from the wire. Never throws for anything the envelope contains. */
export async function open(input: unknown, options: OpenOptions): Promise<OpenResult> {
  const parsed = envelopeSchema.safeParse(input);
  if (!parsed.success) return tampered("malformed");
  const e = parsed.data;
  const decoded = decodeEnvelope(e);
  if (!decoded) return tampered("malformed");
  if (e.conv !== options.conversation) return tampered("conversation");
  if (options.participants) {
    const allowed = new Set(options.participants);
    if (!allowed.has(e.from.u) || e.to.some((r) => !allowed.has(r.u))) {
      return tampered("participants");
    }
  }
  const sender = options.senders.find((b) => b.user === e.from.u && b.device === e.from.d);
  if (!sender) return { outcome: "unknown-sender", from: { user: e.from.u, device: e.from.d } };

  const { header, iv, ct, keys, sig } = decoded;
  const aad = headerBytes(header);
  const signed = envelopeSignedBytes(aad, iv, ct, keys);
  if (!(await crypto.subtle.verify("Ed25519", await importVerifyKey(sender), sig, signed))) {
    return tampered("signature");
  }

  const { me } = options;
  const mine = e.to.findIndex((r) => r.u === me.user && r.d === me.device);
  if (mine < 0 && !options.contentKey) return { outcome: "not-addressed" };
  const contentKey = mine < 0 ? options.contentKey : await unwrapFor(mine, header, keys, aad, me);
  if (!contentKey) return tampered("wrapped-key");

  const content = await contentCipher(contentKey, "decrypt");
  if (toBase64Url(content.commitment) !== e.kc) return tampered("key-commitment");
  let padded: Uint8Array;
  try {
    padded = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, content.key, ct),
    );
  } catch {
    return tampered("ciphertext");
  }
  const plain = unpad(padded);
  const text = plain && fromUtf8(plain);
  if (text === undefined) return tampered("encoding");
  options.onContentKey?.(contentKey);
  return {
    outcome: "opened",
    text,
    id: e.id,
    at: e.at,
    conversation: e.conv,
    from: { user: e.from.u, device: e.from.d },
    to: e.to.map((r) => ({ user: r.u, device: r.d })),
  };
}

/** This device's wrapped content key, unwrapped; undefined when it does not unwrap. */
async function unwrapFor(
  mine: number,
  header: { epk: Uint8Array<ArrayBuffer> },
  keys: Uint8Array[],
  aad: Uint8Array<ArrayBuffer>,
  me: Identity,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  let epk: CryptoKey;
  try {
    epk = await crypto.subtle.importKey("raw", header.epk, "X25519", false, []);
  } catch {
    return undefined;
  }
  return unwrapContentKey(keys[mine] as Uint8Array<ArrayBuffer>, me.agreement.privateKey, epk, {
    epk: header.epk,
    recipientKey: rawKey(me.bundle.x25519),
    user: me.user,
    device: me.device,
    aad,
  });
}

function tampered(reason: TamperReason): OpenResult {
  return { outcome: "tampered", reason };
}
