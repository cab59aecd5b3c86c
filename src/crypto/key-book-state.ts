/**
 * Trust on first use, as pure functions over a JSON-serialisable state: which device bundles
 * each user had when we last looked, how a fresh set differs, and whether the user's keys were
 * verified (safety numbers compared) or changed since they were last accepted.
 */
import { z } from "zod";
import { type DeviceBundle, deviceBundleSchema, sameKeys, type VerifiedBundle } from "./bundle.ts";
import { CryptoError } from "./crypto-error.ts";
import { userId } from "./wire.ts";

/**
 * - unverified: keys accepted on first use, or a change acknowledged, but never compared;
 * - verified: the safety number was compared for exactly these keys;
 * - changed: a device was added or a key replaced since the keys were last accepted. A client
 *   announces it loudly and asks before it sends to this user again.
 */
export type Trust = "unverified" | "verified" | "changed";

const entrySchema = z.object({
  user: userId,
  devices: z.array(deviceBundleSchema),
  trust: z.enum(["unverified", "verified", "changed"]),
  /** When this user's devices were first recorded, ms. */
  firstSeenAt: z.int(),
  /** When the device set last changed, ms. */
  changedAt: z.int(),
});

/**
 * Users are a list, not an object keyed by user id: ids are data from the server, and a key such
 * as "__proto__" does not survive every JSON and schema library as a plain name.
 */
export const keyBookStateSchema = z.object({
  v: z.literal(1),
  users: z
    .array(entrySchema)
    .refine((list) => new Set(list.map((e) => e.user)).size === list.length, {
      message: "a user appears twice",
    }),
});
export type KeyBookState = z.infer<typeof keyBookStateSchema>;
type Entry = z.infer<typeof entrySchema>;

export type DeviceChange =
  | { kind: "device-added"; device: string }
  | { kind: "device-removed"; device: string }
  /** Same device id, different keys: a reinstall, or someone impersonating the device. */
  | { kind: "key-changed"; device: string };

/**
 * How a fresh set of a user's bundles compares with the recorded one. `kind` is the most serious
 * of `changes` (key-changed, then device-added, then device-removed): an added device reads
 * every later message, a removed one only stops reading.
 */
export interface Observation {
  kind: "first-seen" | "unchanged" | DeviceChange["kind"];
  changes: DeviceChange[];
  /** The user's trust after this observation. */
  trust: Trust;
}

export function emptyKeyBook(): KeyBookState {
  return { v: 1, users: [] };
}

/** The recorded bundles of a user; they were verified before they were recorded. */
export function recordedDevices(state: KeyBookState, user: string): VerifiedBundle[] {
  return [...(entryOf(state, user)?.devices ?? [])] as VerifiedBundle[];
}

export function trustOf(state: KeyBookState, user: string): Trust | undefined {
  return entryOf(state, user)?.trust;
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

/**
 * Records the bundles just fetched for `user` and classifies them. Adding a device or changing a
 * key sets trust to "changed" (from any trust: the new key is unknown whatever came before); a
 * removal alone keeps the trust, since every remaining key is one that was accepted.
 */
export function observeDevices(
  state: KeyBookState,
  user: string,
  bundles: readonly VerifiedBundle[],
  now: number,
): { state: KeyBookState; observation: Observation } {
  const devices = distinct(user, bundles);
  const entry = entryOf(state, user);
  if (!entry) {
    const fresh: Entry = { user, devices, trust: "unverified", firstSeenAt: now, changedAt: now };
    return {
      state: withEntry(state, fresh),
      observation: { kind: "first-seen", changes: [], trust: "unverified" },
    };
  }
  const changes = compareDevices(entry.devices, devices);
  if (changes.length === 0) {
    return { state, observation: { kind: "unchanged", changes, trust: entry.trust } };
  }
  const kind = SEVERITY.find((k) => changes.some((c) => c.kind === k)) ?? "device-removed";
  const trust: Trust = kind === "device-removed" ? entry.trust : "changed";
  const next: Entry = { ...entry, devices, trust, changedAt: now };
  return { state: withEntry(state, next), observation: { kind, changes, trust } };
}

/**
 * Sets a user's trust after the person acted: "verified" once safety numbers matched,
 * "unverified" once a change was acknowledged without comparing. `seen` is the device set the
 * person was shown; if the recorded set has moved on since, nothing changes and the result is
 * "stale" (so a key swapped in while the dialog was open is never approved by it).
 */
export function setTrust(
  state: KeyBookState,
  user: string,
  trust: "verified" | "unverified",
  seen: readonly DeviceBundle[],
): { state: KeyBookState; result: "updated" | "stale" } {
  const entry = entryOf(state, user);
  if (
    !entry ||
    entry.devices.length !== seen.length ||
    compareDevices(entry.devices, seen).length > 0
  ) {
    return { state, result: "stale" };
  }
  return { state: withEntry(state, { ...entry, trust }), result: "updated" };
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

/** Bundles sorted by device, repeats dropped; throws on a foreign user or conflicting repeat. */
function distinct(user: string, bundles: readonly VerifiedBundle[]): DeviceBundle[] {
  const byDevice = new Map<string, DeviceBundle>();
  for (const b of bundles) {
    if (b.user !== user) throw new CryptoError("USER_MISMATCH");
    const seen = byDevice.get(b.device);
    if (seen && !sameKeys(seen, b)) throw new CryptoError("DUPLICATE_DEVICE");
    // Keep only the schema's fields, so the stored state is exactly what the schema accepts.
    const { v, user: u, device, x25519, ed25519, sig } = b;
    byDevice.set(device, { v, user: u, device, x25519, ed25519, sig });
  }
  return [...byDevice.values()].sort((a, b) =>
    a.device < b.device ? -1 : a.device > b.device ? 1 : 0,
  );
}
