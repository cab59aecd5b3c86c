/**
 * What a device believes about each user's keys, as pure functions over a JSON-serialisable
 * state: the account identity key pinned on first use (TOFU), the highest signed device list
 * seen under it (version and hash, to catch a list rolled back or forked), the devices that list
 * accepts, and whether the identity key was verified (safety numbers compared) or changed.
 */
import { z } from "zod";
import { type DeviceBundle, deviceBundleSchema, sameKeys, type VerifiedBundle } from "./bundle.ts";
import { deviceListSchema, type VerifiedDeviceList } from "./device-list.ts";
import { replaysSchema } from "./key-book-replays.ts";
import { base64UrlOf, ED25519_PUBLIC_BYTES, userId } from "./wire.ts";

/**
 * - unverified: the identity key was accepted on first use, or a change acknowledged, but the
 *   safety number was never compared;
 * - verified: the safety number was compared for exactly this identity key;
 * - changed: the user's identity key is not the one accepted. A client announces it loudly,
 *   sends nothing to this user and quarantines the new devices until the person accepts it.
 */
export type Trust = "unverified" | "verified" | "changed";

const accountKey = base64UrlOf(ED25519_PUBLIC_BYTES);
const listHash = z.string().min(1).max(64);

const entrySchema = z.object({
  user: userId,
  /** The pinned account identity key; absent only for an entry carried over from scheme v1. */
  key: accountKey.optional(),
  /** The highest list version seen under `key` (0: none yet). */
  version: z.int().min(0),
  /** The hash of that list: another list at the same version is a fork. */
  hash: listHash.optional(),
  /** The devices the pinned list accepts: what to seal to and whose words to show. */
  devices: z.array(deviceBundleSchema),
  trust: z.enum(["unverified", "verified", "changed"]),
  /** A list signed by a different identity key, waiting for the person to accept it. */
  pending: deviceListSchema.extend({ hash: listHash }).optional(),
  /** A rolled-back or forked list was shown since the person last accepted this user's keys. */
  alarm: z.enum(["rollback", "fork"]).optional(),
  /** When this user's keys were first recorded, ms. */
  firstSeenAt: z.int(),
  /** When the accepted devices or the identity key last changed, ms. */
  changedAt: z.int(),
});

/**
 * Users are a list, not an object keyed by user id: ids are data from the server, and a key such
 * as "__proto__" does not survive every JSON and schema library as a plain name.
 */
const usersSchema = <T extends z.ZodType<{ user: string }>>(entry: T) =>
  z.array(entry).refine((list) => new Set(list.map((e) => e.user)).size === list.length, {
    message: "a user appears twice",
  });

export const keyBookStateSchema = z.object({
  v: z.literal(2),
  users: usersSchema(entrySchema),
  /** Envelopes opened per conversation, to flag replays (key-book-replays.ts). */
  replays: replaysSchema.default([]),
});
export type KeyBookState = z.infer<typeof keyBookStateSchema>;
type Entry = z.infer<typeof entrySchema>;

/** Scheme v1 kept device keys only (no identity key): read so that nobody is re-trusted blind. */
const v1Schema = z.object({
  v: z.literal(1),
  users: usersSchema(
    z.object({
      user: userId,
      devices: z.array(deviceBundleSchema),
      trust: z.enum(["unverified", "verified", "changed"]),
      firstSeenAt: z.int(),
      changedAt: z.int(),
    }),
  ),
});

/** Parses a saved state of either scheme; undefined when it is neither. */
export function parseKeyBook(value: unknown): KeyBookState | undefined {
  const v2 = keyBookStateSchema.safeParse(value);
  if (v2.success) return v2.data;
  const v1 = v1Schema.safeParse(value);
  if (!v1.success) return undefined;
  // A v1 "verified" covered device keys, not an identity key: it must be compared again.
  return {
    v: 2,
    replays: [],
    users: v1.data.users.map((e) => ({
      ...e,
      version: 0,
      trust: e.trust === "verified" ? "unverified" : e.trust,
    })),
  };
}

export type DeviceChange =
  | { kind: "device-added"; device: string }
  | { kind: "device-removed"; device: string }
  /** Same device id, different keys, in a newer list signed by the same identity key. */
  | { kind: "key-changed"; device: string };

/**
 * How a freshly fetched signed list compares with what was recorded:
 * - first-seen: the identity key is pinned now;
 * - unchanged; or a device change under the same identity key (device-added, -removed,
 *   key-changed): the owner's linked device signed it, so trust does not move;
 * - identity-changed: another identity key signed it (a reset, or a server lying);
 * - rollback: an older version than one already seen; fork: a different list at the same version.
 *   Both keep the recorded list and raise an alarm;
 * - no-list: the server gave no signed list, so nothing of this user's is accepted.
 */
export interface Observation {
  kind:
    | "first-seen"
    | "unchanged"
    | DeviceChange["kind"]
    | "identity-changed"
    | "rollback"
    | "fork"
    | "no-list"
    /** Reported by clients, not the key book: the server lists a device no signed list holds. */
    | "unlisted-device";
  changes: DeviceChange[];
  /** The user's trust after this observation (undefined: nothing recorded). */
  trust: Trust | undefined;
}

export function emptyKeyBook(): KeyBookState {
  return { v: 2, users: [], replays: [] };
}

/** The devices a user's pinned list accepts; they were verified before they were recorded. */
export function recordedDevices(state: KeyBookState, user: string): VerifiedBundle[] {
  const entry = entryOf(state, user);
  return entry?.key ? ([...entry.devices] as VerifiedBundle[]) : [];
}

export function trustOf(state: KeyBookState, user: string): Trust | undefined {
  return entryOf(state, user)?.trust;
}

/** The pinned identity key and, if one waits for acceptance, the new one. */
export function identityOf(
  state: KeyBookState,
  user: string,
):
  | { key: string | undefined; version: number; pending: string | undefined; alarm: Entry["alarm"] }
  | undefined {
  const e = entryOf(state, user);
  return e && { key: e.key, version: e.version, pending: e.pending?.key, alarm: e.alarm };
}

/** Compares two device sets; pure. */
export function compareDevices(
  before: readonly DeviceBundle[],
  after: readonly DeviceBundle[],
): DeviceChange[] {
  const old = new Map(before.map((b) => [b.device, b]));
  const fresh = new Map(after.map((b) => [b.device, b]));
  const changes: DeviceChange[] = [];
  for (const [device, b] of fresh) {
    const was = old.get(device);
    if (!was) changes.push({ kind: "device-added", device });
    else if (!sameKeys(was, b)) changes.push({ kind: "key-changed", device });
  }
  for (const device of old.keys()) {
    if (!fresh.has(device)) changes.push({ kind: "device-removed", device });
  }
  return changes;
}

const SEVERITY: DeviceChange["kind"][] = ["key-changed", "device-added", "device-removed"];

/** Records the signed list just fetched for `user` (already verified for that user). */
export function observeList(
  state: KeyBookState,
  user: string,
  list: VerifiedDeviceList | undefined,
  now: number,
): { state: KeyBookState; observation: Observation } {
  const entry = entryOf(state, user);
  const same = (kind: Observation["kind"]) => ({
    state,
    observation: { kind, changes: [], trust: entry?.trust },
  });
  if (!list) return same(entry?.key ? "unchanged" : "no-list");
  const devices = stripped(list.devices);
  if (!entry?.key) {
    const fresh: Entry = {
      user,
      key: list.key,
      version: list.version,
      hash: list.hash,
      devices,
      trust: entry?.trust === "changed" ? "changed" : "unverified",
      firstSeenAt: entry?.firstSeenAt ?? now,
      changedAt: now,
    };
    return {
      state: withEntry(state, fresh),
      observation: { kind: "first-seen", changes: [], trust: fresh.trust },
    };
  }
  if (list.key !== entry.key) {
    const waiting = entry.pending;
    if (waiting && waiting.key === list.key && waiting.version >= list.version) {
      return same("identity-changed");
    }
    const pending = { ...wireOf(list), hash: list.hash };
    const next: Entry = { ...entry, pending, trust: "changed" };
    return {
      state: withEntry(state, next),
      observation: { kind: "identity-changed", changes: [], trust: "changed" },
    };
  }
  if (
    list.version < entry.version ||
    (list.version === entry.version && list.hash !== entry.hash)
  ) {
    const alarm = list.version < entry.version ? "rollback" : "fork";
    return {
      state: withEntry(state, { ...entry, alarm }),
      observation: { kind: alarm, changes: [], trust: entry.trust },
    };
  }
  if (list.version === entry.version) return same("unchanged");
  const changes = compareDevices(entry.devices, devices);
  const next: Entry = {
    ...entry,
    version: list.version,
    hash: list.hash,
    devices,
    changedAt: changes.length > 0 ? now : entry.changedAt,
  };
  const kind = SEVERITY.find((k) => changes.some((c) => c.kind === k)) ?? "unchanged";
  return { state: withEntry(state, next), observation: { kind, changes, trust: entry.trust } };
}

/**
 * Sets a user's trust after the person acted: "verified" once safety numbers matched,
 * "unverified" once a change was acknowledged without comparing. `seenKey` is the identity key
 * the person was shown: a waiting new key is adopted only if it is that one, and anything else
 * is "stale" (so a key swapped in while the dialog was open is never approved by it).
 */
export function setTrust(
  state: KeyBookState,
  user: string,
  trust: "verified" | "unverified",
  seenKey: string,
): { state: KeyBookState; result: "updated" | "stale" } {
  const entry = entryOf(state, user);
  if (!entry) return { state, result: "stale" };
  const { pending, alarm: _alarm, ...rest } = entry;
  if (pending) {
    if (pending.key !== seenKey) return { state, result: "stale" };
    const { hash, key, version, devices } = pending;
    const next: Entry = { ...rest, key, version, hash, devices, trust };
    return { state: withEntry(state, next), result: "updated" };
  }
  if (entry.key !== seenKey) return { state, result: "stale" };
  return { state: withEntry(state, { ...rest, trust }), result: "updated" };
}

function entryOf(state: KeyBookState, user: string): Entry | undefined {
  return state.users.find((e) => e.user === user);
}

/** The state with `entry` replacing its user's entry, users kept in order by id. */
function withEntry(state: KeyBookState, entry: Entry): KeyBookState {
  const users = [...state.users.filter((e) => e.user !== entry.user), entry];
  users.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  return { ...state, users };
}

/** Only the schema's fields, so the stored state is exactly what the schema accepts. */
function stripped(bundles: readonly DeviceBundle[]): DeviceBundle[] {
  return bundles.map(({ v, user, device, x25519, ed25519, sig }) => ({
    v,
    user,
    device,
    x25519,
    ed25519,
    sig,
  }));
}

function wireOf(list: VerifiedDeviceList) {
  const { v, user, version, key, sig } = list;
  return { v, user, version, key, sig, devices: stripped(list.devices) };
}
