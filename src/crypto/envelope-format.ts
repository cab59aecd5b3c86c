/**
 * The envelope: one private message sealed for a list of devices. This file defines its JSON
 * shape (a zod schema the server can check without any key) and the exact bytes that its AAD and
 * its signature cover. docs/e2ee.md describes every field.
 */
import { z } from "zod";
import { type Bytes, fromBase64Url, transcript } from "./encoding.ts";
import {
  base64UrlBetween,
  base64UrlOf,
  CIPHERTEXT_BYTES_MAX,
  conversationId,
  deviceId,
  GCM_IV_BYTES,
  GCM_TAG_BYTES,
  GROUP_DEVICES_MAX,
  ID_MAX,
  KEY_COMMITMENT_BYTES,
  PAD_BLOCK,
  SIGNATURE_BYTES,
  userId,
  WRAPPED_KEY_BYTES,
  X25519_PUBLIC_BYTES,
} from "./wire.ts";

const recipient = z.object({
  /** Recipient user id. */
  u: userId,
  /** Recipient device id. */
  d: deviceId,
  /** The content key wrapped for this device: AES-256-GCM output, 32 bytes + 16-byte tag. */
  k: base64UrlOf(WRAPPED_KEY_BYTES),
});

export const envelopeSchema = z.object({
  v: z.literal(1),
  /** Conversation id, chosen by the clients; the receiver checks it against its own. */
  conv: conversationId,
  /** Message id, unique per sender device: lets receivers drop a replayed envelope. */
  id: z.string().min(1).max(ID_MAX),
  /** Sender's clock at sealing, ms since the epoch (a signed claim, not a server time). */
  at: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Sending user and device. */
  from: z.object({ u: userId, d: deviceId }),
  /**
   * Every device that can open this envelope, the sender's own devices included. The schema
   * takes a group's bound; a DM's smaller one (DEVICES_MAX) is checked where DMs are sent.
   */
  to: z
    .array(recipient)
    .min(1)
    .max(GROUP_DEVICES_MAX)
    .refine((list) => new Set(list.map((r) => deviceKey(r.u, r.d))).size === list.length, {
      message: "a device appears twice",
    }),
  /** Ephemeral X25519 public key, raw 32 bytes, fresh for this envelope. */
  epk: base64UrlOf(X25519_PUBLIC_BYTES),
  /** Key commitment: 32 bytes HKDF'd from the content key (content-key.ts). */
  kc: base64UrlOf(KEY_COMMITMENT_BYTES),
  /** AES-GCM IV of the content, 12 bytes. */
  iv: base64UrlOf(GCM_IV_BYTES),
  /** Padded UTF-8 text under AES-256-GCM with the content key, tag included. */
  ct: base64UrlBetween(PAD_BLOCK + GCM_TAG_BYTES, CIPHERTEXT_BYTES_MAX),
  /** Ed25519 signature by the sending device over envelopeSignedBytes(). */
  sig: base64UrlOf(SIGNATURE_BYTES),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/** The part of an envelope fixed before any encryption: everything but iv, ct, keys and sig. */
export interface EnvelopeHeader {
  conv: string;
  id: string;
  at: number;
  from: { u: string; d: string };
  to: readonly { u: string; d: string }[];
  epk: Bytes;
  kc: Bytes;
}

/** A map key for one device of one user (JSON, so no two pairs of ids share a key). */
export function deviceKey(user: string, device: string): string {
  return JSON.stringify([user, device]);
}

/**
 * Additional data for every AES-GCM operation of the envelope (content and key wraps): binds the
 * conversation, the message id and time, the sender, the ephemeral key, the key commitment and
 * the exact ordered recipient list, so none of them can be changed or the envelope moved without failing to open.
 */
export function headerBytes(h: EnvelopeHeader): Bytes {
  return transcript([
    "parley/e2ee/v1/header",
    h.conv,
    h.id,
    String(h.at),
    h.from.u,
    h.from.d,
    h.epk,
    h.kc,
    String(h.to.length),
    ...h.to.flatMap((r) => [r.u, r.d]),
  ]);
}

/** What the sender signs: the header, the IV, the ciphertext and every wrapped key, in order. */
export function envelopeSignedBytes(header: Bytes, iv: Bytes, ct: Bytes, keys: Bytes[]): Bytes {
  return transcript(["parley/e2ee/v1/envelope", header, iv, ct, ...keys]);
}

/**
 * An envelope's binary fields, decoded; undefined if any is not canonical base64url or the
 * ciphertext is not a whole number of padding blocks plus a tag.
 */
export function decodeEnvelope(
  e: Envelope,
): { header: EnvelopeHeader; iv: Bytes; ct: Bytes; keys: Bytes[]; sig: Bytes } | undefined {
  const epk = fromBase64Url(e.epk);
  const kc = fromBase64Url(e.kc);
  const iv = fromBase64Url(e.iv);
  const ct = fromBase64Url(e.ct);
  const sig = fromBase64Url(e.sig);
  const keys = e.to.map((r) => fromBase64Url(r.k));
  if (!epk || !kc || !iv || !ct || !sig || keys.some((k) => k === undefined)) return undefined;
  if ((ct.length - GCM_TAG_BYTES) % PAD_BLOCK !== 0) return undefined;
  const header = { conv: e.conv, id: e.id, at: e.at, from: e.from, to: e.to, epk, kc };
  return { header, iv, ct, keys: keys as Bytes[], sig };
}
