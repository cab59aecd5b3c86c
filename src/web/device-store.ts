/**
 * The browser's storage for end-to-end encryption, in IndexedDB: this device's identity and the
 * key book, one pair per deployment (this page's origin) and user, as the terminal keeps them in
 * two 0600 files; tabs of the same user take turns changing the key book (a Web Lock). Values
 * go in by structured clone, so the Identity is kept as it is, its private
 * keys non-extractable CryptoKeys that no script can read out. Each save is one transaction: it
 * lands whole or not at all.
 */

import type { RestoredKeyStore } from "../client-core/key-backup-sync.ts";
import type { IdentityStore } from "../client-core/secure-dm.ts";
import type { KeyBookState, KeyBookStore } from "../crypto/index.ts";

const DB_NAME = "parley-e2ee";
const DB_VERSION = 1;
const STORE = "device";

export interface DeviceStore {
  identities: IdentityStore;
  keyBook: KeyBookStore;
  /** Content keys restored from the key backup, kept as the identity is (one slot per user). */
  restoredKeys: RestoredKeyStore;
  /** Calls `fn` when another tab saved the key book; returns the way to stop. */
  onKeyBookSaved(fn: () => void): () => void;
}

/** The store for `user` on this origin's deployment. */
export function deviceStore(user: number, origin = location.origin): DeviceStore {
  const host = new URL(origin).host;
  const slot = (what: string) => `${what}:${host}:${user}`;
  // Tells the other tabs of this user that the key book changed (a channel never hears itself).
  // Tabs of one user take turns on the key book and on the identity's account key: one lock.
  const exclusive = <T>(step: () => Promise<T>): Promise<T> =>
    navigator.locks ? navigator.locks.request(`parley.${slot("keys")}`, step) : step();
  const channel =
    "BroadcastChannel" in globalThis ? new BroadcastChannel(`parley.${slot("keys")}`) : undefined;
  return {
    identities: {
      keeps: "keys",
      load: () => read(slot("identity")),
      save: (file) => write(slot("identity"), file),
      exclusive,
    },
    keyBook: {
      load: () => read(slot("keys")),
      save: async (state: KeyBookState) => {
        await write(slot("keys"), state);
        channel?.postMessage("saved");
      },
      // Tabs of one user share the book: a Web Lock lets one change it at a time, each on the
      // state as stored, so one tab never writes back what another changed.
      exclusive,
    },
    restoredKeys: {
      load: () => read(slot("restored")),
      save: (value) => write(slot("restored"), value),
    },
    onKeyBookSaved(fn) {
      const heard = () => fn();
      channel?.addEventListener("message", heard);
      return () => channel?.removeEventListener("message", heard);
    },
  };
}

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB could not be opened"));
    req.onblocked = () => reject(new Error("IndexedDB is blocked by another tab"));
  }).catch((err) => {
    opened = undefined; // let a later call try again
    throw err;
  });
  return opened;
}

async function read(key: string): Promise<unknown> {
  const db = await database();
  return new Promise((resolve, reject) => {
    const req = db.transaction(STORE, "readonly").objectStore(STORE).get(key);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function write(key: string, value: unknown): Promise<void> {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB write aborted"));
  });
}
