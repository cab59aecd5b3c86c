/**
 * This device's identity for SecureDm: loaded from its store, made on first use, and published
 * to the server's directory. Never replaced when damaged or foreign: a new identity would look
 * like a key change to everyone.
 */
import {
  checkIdentity,
  createIdentity,
  exportIdentity,
  type Identity,
  type IdentityFile,
  identityFileSchema,
  importIdentity,
} from "../crypto/index.ts";
import type { UserRef } from "../protocol/index.ts";
import type { Connection } from "./connection.ts";

/** Where this device's identity (with its private keys) is kept. */
export interface IdentityStore {
  /**
   * "file": the identity exported with its private keys (the terminal's 0600 file). "keys": the
   * Identity itself, its private keys non-extractable (a browser's IndexedDB keeps CryptoKeys
   * by structured clone, so no script can ever read the private keys out). @default "file"
   */
  readonly keeps?: "file" | "keys";
  /** The saved identity as stored, or undefined if there is none yet. */
  load(): Promise<unknown>;
  save(value: IdentityFile | Identity): Promise<void>;
  /**
   * Runs `step` while no other holder of this store (another tab of the same user) changes the
   * identity: the browser's Web Lock, the key book's own, so a step must not touch the key book.
   * Without it (the terminal: one process per identity file) steps just run.
   */
  exclusive?<T>(step: () => Promise<T>): Promise<T>;
}

/** Runs `step` under the store's lock, if it has one. */
export function identityLocked<T>(store: IdentityStore, step: () => Promise<T>): Promise<T> {
  return store.exclusive ? store.exclusive(step) : step();
}

export type IdentityLoad =
  | { ok: true; identity: Identity }
  | { ok: false; reason: "identity-damaged" | "identity-foreign" };

/**
 * Loads (or makes and saves) the identity of `me` on this device, under the store's lock: two
 * tabs starting at once make one identity, not two that overwrite each other.
 */
export function loadIdentity(store: IdentityStore, me: UserRef): Promise<IdentityLoad> {
  return identityLocked(store, () => loadUnlocked(store, me));
}

/** The identity as stored now, for a caller that holds the store's lock already. */
export const storedIdentity = (store: IdentityStore, me: UserRef) => loadUnlocked(store, me);

async function loadUnlocked(store: IdentityStore, me: UserRef): Promise<IdentityLoad> {
  const keeps = store.keeps ?? "file";
  const saved = await store.load();
  if (saved === undefined) {
    const identity = await createIdentity({ user: String(me.id), extractable: keeps === "file" });
    await store.save(keeps === "file" ? await exportIdentity(identity) : identity);
    return { ok: true, identity };
  }
  // A file (the terminal's, or a browser's from before it kept the keys) or the keys.
  const isFile = identityFileSchema.safeParse(saved).success;
  const restored = isFile ? await importIdentity(saved) : await checkIdentity(saved);
  if (!restored.ok) return { ok: false, reason: "identity-damaged" };
  if (restored.identity.user !== String(me.id)) return { ok: false, reason: "identity-foreign" };
  // Replace an exported file by the non-extractable keys it was imported as.
  if (isFile && keeps === "keys") await store.save(restored.identity);
  return { ok: true, identity: restored.identity };
}

/** Publishes this device's bundle unless the server already lists exactly it. */
export async function publishIdentity(conn: Connection, me: UserRef, identity: Identity) {
  const listed = await conn.request<"devices">({ type: "devices", users: [me.id] });
  const mine = listed.users[0]?.devices.find((b) => b.device === identity.device);
  const same =
    mine &&
    mine.x25519 === identity.bundle.x25519 &&
    mine.ed25519 === identity.bundle.ed25519 &&
    mine.sig === identity.bundle.sig;
  if (!same) await conn.request<"ok">({ type: "device", bundle: identity.bundle });
}
