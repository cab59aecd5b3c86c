/**
 * A key backup passphrase: argon2id turns what a person can remember into the 32-byte recovery
 * key R of key-backup.ts, so the backup is then made and read exactly as with a random R.
 * hash-wasm runs argon2id as WebAssembly in Bun and in browsers alike (WebCrypto has no
 * memory-hard KDF). The salt is fixed per account (no salt is published beside the backup info,
 * so no protocol change): a guess costs 64 MiB and 3 passes, for one account at a time.
 */
import { argon2id } from "hash-wasm";
import { type Bytes, transcript } from "./encoding.ts";

const LABEL = "parley/e2ee/v1/backup-passphrase";

/** Shorter passphrases are refused: argon2id slows guessing, it cannot save "1234". */
export const PASSPHRASE_MIN = 12;
export const PASSPHRASE_MAX = 1024;

/** argon2id's cost: 64 MiB, 3 passes, one lane (RFC 9106's second recommended setting). */
export const PASSPHRASE_COST = { memorySize: 65_536, iterations: 3, parallelism: 1 } as const;

/** The recovery key R for `passphrase` on account `user`; undefined if its length is refused. */
export async function passphraseRecoveryKey(
  passphrase: string,
  user: string,
): Promise<Bytes | undefined> {
  const length = [...passphrase].length;
  if (length < PASSPHRASE_MIN || length > PASSPHRASE_MAX) return undefined;
  const salt = new Uint8Array(await crypto.subtle.digest("SHA-256", transcript([LABEL, user])));
  const out = await argon2id({
    password: passphrase.normalize("NFC"),
    salt: salt.slice(0, 16),
    ...PASSPHRASE_COST,
    hashLength: 32,
    outputType: "binary",
  });
  return new Uint8Array(out);
}
