/**
 * Signed membership of an encrypted group conversation (docs/e2ee.md section 12): each version
 * names the members and admins, points at the previous version by hash, and is signed by a
 * device of the member who made the change. Readers accept a version only as the next one of the
 * chain they hold, made by an admin (or by a member leaving), so a server can neither add a
 * member nor roll a removal back. Messages are sealed for the devices of the current members
 * only, so a removed member cannot open what is sent after the removal.
 */
import { z } from "zod";
import { importVerifyKey, type VerifiedBundle } from "./bundle.ts";
import { fromBase64Url, toBase64Url, transcript } from "./encoding.ts";
import type { Identity } from "./identity.ts";
import { base64UrlOf, conversationId, deviceId, SIGNATURE_BYTES, userId } from "./wire.ts";

/** People in one group; with 10 devices each, 320 recipients, which envelopes must then allow. */
export const GROUP_MEMBERS_MAX = 32;
const LABEL = "parley/e2ee/v1/group-membership";

const sortedUsers = z
  .array(userId)
  .min(1)
  .max(GROUP_MEMBERS_MAX)
  .refine((l) => l.every((u, i) => i === 0 || (l[i - 1] as string) < u), "sorted, each once");

export const membershipSchema = z.object({
  v: z.literal(1),
  conv: conversationId,
  version: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  members: sortedUsers,
  admins: sortedUsers,
  /** Hash of the previous version ("" for version 1). */
  prev: z.string().max(43),
  /** The device that signed it, of the member who made the change. */
  by: z.object({ u: userId, d: deviceId }),
  sig: base64UrlOf(SIGNATURE_BYTES),
});
export type Membership = z.infer<typeof membershipSchema>;

declare const accepted: unique symbol;
/** A version accepted as the next of a chain; only this module makes them. */
export type VerifiedMembership = Membership & { readonly hash: string; readonly [accepted]: true };

export type MembershipCheck =
  | { ok: true; membership: VerifiedMembership }
  | {
      ok: false;
      reason:
        | "malformed"
        | "bad-signature"
        | "wrong-version"
        | "wrong-previous"
        | "not-allowed"
        | "admins-not-members";
    };

function signedBytes(m: Omit<Membership, "sig" | "v">) {
  return transcript([
    LABEL,
    m.conv,
    String(m.version),
    m.prev,
    String(m.members.length),
    ...m.members,
    String(m.admins.length),
    ...m.admins,
    m.by.u,
    m.by.d,
  ]);
}

async function hashOf(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

const sorted = (users: readonly string[]) => [...new Set(users)].sort();

/**
 * Signs the next membership version after `current` (or version 1 of a new group when
 * undefined) with this device. Whether the change is allowed is for readers to check.
 */
export async function signMembership(input: {
  conv: string;
  current: VerifiedMembership | undefined;
  members: readonly string[];
  admins: readonly string[];
  by: Identity;
}): Promise<Membership> {
  const fields = {
    conv: input.conv,
    version: (input.current?.version ?? 0) + 1,
    members: sorted(input.members),
    admins: sorted(input.admins),
    prev: input.current?.hash ?? "",
    by: { u: input.by.user, d: input.by.device },
  };
  const sig = await crypto.subtle.sign("Ed25519", input.by.signing.privateKey, signedBytes(fields));
  return { v: 1, ...fields, sig: toBase64Url(new Uint8Array(sig)) };
}

/**
 * Accepts `input` as the version after `current` (version 1 when undefined), signed by
 * `signer`: a device in the signed device list of the member named in `by` (the caller looks it
 * up among accepted devices). Allowed: version 1 by its first admin; later, any change by an
 * admin of `current`, or a member removing only themselves.
 */
export async function acceptMembership(
  input: unknown,
  current: VerifiedMembership | undefined,
  signer: VerifiedBundle,
): Promise<MembershipCheck> {
  const parsed = membershipSchema.safeParse(input);
  if (!parsed.success) return { ok: false, reason: "malformed" };
  const m = parsed.data;
  if (signer.user !== m.by.u || signer.device !== m.by.d)
    return { ok: false, reason: "bad-signature" };
  const bytes = signedBytes(m);
  const sig = fromBase64Url(m.sig);
  if (!sig || !(await crypto.subtle.verify("Ed25519", await importVerifyKey(signer), sig, bytes))) {
    return { ok: false, reason: "bad-signature" };
  }
  if (m.conv !== (current?.conv ?? m.conv) || m.version !== (current?.version ?? 0) + 1) {
    return { ok: false, reason: "wrong-version" };
  }
  if (m.prev !== (current?.hash ?? "")) return { ok: false, reason: "wrong-previous" };
  if (!m.admins.every((a) => m.members.includes(a))) {
    return { ok: false, reason: "admins-not-members" };
  }
  if (!allowed(m, current)) return { ok: false, reason: "not-allowed" };
  const membership = { ...m, hash: await hashOf(bytes) } as VerifiedMembership;
  return { ok: true, membership };
}

function allowed(m: Membership, current: VerifiedMembership | undefined): boolean {
  if (!current) return m.admins.includes(m.by.u) && m.members.includes(m.by.u);
  if (current.admins.includes(m.by.u)) return true;
  // A member who is not an admin may only leave: the same group without them.
  const without = current.members.filter((u) => u !== m.by.u);
  return (
    current.members.includes(m.by.u) &&
    m.members.join("\n") === without.join("\n") &&
    m.admins.join("\n") === current.admins.join("\n")
  );
}
