/**
 * The terminal's storage for end-to-end encryption: this device's identity (its private keys),
 * the key book and the content keys restored from the key backup, each a JSON file with mode
 * 0600 in the config directory, next to the
 * session file. One pair per deployment and user, since user ids belong to a deployment.
 * Writes go to a temporary file first and are renamed over, so a crash never leaves half a file.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RestoredKeyStore } from "../client-core/key-backup-sync.ts";
import type { IdentityStore } from "../client-core/secure-dm.ts";
import type { IdentityFile, KeyBookState, KeyBookStore } from "../crypto/index.ts";
import { serverKey } from "./session-store.ts";

export interface DeviceFiles {
  identityPath: string;
  keyBookPath: string;
  identities: IdentityStore;
  keyBook: KeyBookStore;
  restoredKeysPath: string;
  restoredKeys: RestoredKeyStore;
}

/** The files for `user` on the deployment whose first node is `server`, under `dir`. */
export function deviceFiles(dir: string, server: string, user: number): DeviceFiles {
  const host = new URL(serverKey(server)).host.replace(/[^A-Za-z0-9.-]/g, "_");
  const identityPath = join(dir, `device-${host}-${user}.json`);
  const keyBookPath = join(dir, `keys-${host}-${user}.json`);
  const restoredKeysPath = join(dir, `restored-${host}-${user}.json`);
  return {
    identityPath,
    keyBookPath,
    restoredKeysPath,
    restoredKeys: {
      load: async () => readJson(restoredKeysPath),
      save: async (value) => writePrivate(dir, restoredKeysPath, value),
    },
    identities: {
      load: async () => readJson(identityPath),
      save: async (file: IdentityFile) => writePrivate(dir, identityPath, file),
    },
    keyBook: {
      load: async () => readJson(keyBookPath),
      save: async (state: KeyBookState) => writePrivate(dir, keyBookPath, state),
    },
  };
}

/** The parsed file, undefined if there is none, or a marker the loaders refuse as damaged. */
function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    return { damaged: true };
  }
}

function writePrivate(dir: string, path: string, value: unknown): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
