/**
 * Backup and restore of a SQLite deployment, safe while the server runs.
 *
 * A backup is two things side by side: FILE, a copy of the database made with `VACUUM INTO`
 * (one read transaction: a consistent snapshot holding every transaction committed before it
 * began, so every message acknowledged before the backup started), and FILE.files/, the
 * uploaded files. The database is copied first: file rows point at blobs that were written
 * before their rows, so every blob the copy names is already on disk when the files are copied.
 * Blobs are content-addressed and never change, so a blob already in FILE.files/ is skipped.
 *
 * A restore checks the backup's integrity first and refuses to replace a database that a
 * running server has open (it cannot take SQLite's exclusive lock on it).
 */
import { Database } from "bun:sqlite";
import { copyFile, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { sqliteMigrations } from "../../db/migrations.ts";

export class BackupError extends Error {}

export interface BackupResult {
  bytes: number;
  files: number;
}

/** Where a backup's uploaded files go: next to FILE, as FILE.files/. */
export function filesOfBackup(file: string): string {
  return `${file}.files`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** "ok", or what SQLite's full integrity check found wrong. */
export function integrityOf(path: string): string {
  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true });
    const rows = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    return rows.map((r) => r.integrity_check).join("; ");
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    db?.close();
  }
}

/** Copies the blobs of `from` into `to`, skipping those already there; returns how many it copied. */
async function copyBlobs(from: string, to: string): Promise<number> {
  if (!(await exists(from))) return 0;
  let copied = 0;
  for (const shard of await readdir(from, { withFileTypes: true })) {
    // tmp/ holds uploads in progress: never part of a backup.
    if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
    await mkdir(join(to, shard.name), { recursive: true });
    for (const blob of await readdir(join(from, shard.name))) {
      const target = join(to, shard.name, blob);
      if (await exists(target)) continue;
      const partial = `${target}.part`;
      await copyFile(join(from, shard.name, blob), partial);
      await rename(partial, target);
      copied++;
    }
  }
  return copied;
}

/** Makes FILE (and FILE.files/) from the live database at `db` and its files directory. */
export async function backup(db: string, filesDir: string, file: string): Promise<BackupResult> {
  if (!(await exists(db))) throw new BackupError(`no database at ${db}`);
  if (await exists(file)) throw new BackupError(`${file} exists; choose a new file`);
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.part`;
  await rm(partial, { force: true });
  const source = new Database(db, { readonly: false, create: false });
  try {
    // A writer holds its lock for one group commit at most: wait for it rather than fail.
    source.run("PRAGMA busy_timeout = 10000");
    source.query("VACUUM INTO ?").run(partial);
  } finally {
    source.close();
  }
  const integrity = integrityOf(partial);
  if (integrity !== "ok") {
    await rm(partial, { force: true });
    throw new BackupError(`the copy failed its integrity check: ${integrity}`);
  }
  await rename(partial, file);
  const files = await copyBlobs(filesDir, filesOfBackup(file));
  return { bytes: (await stat(file)).size, files };
}

/** True when some process (a running server) has the database open. */
function inUse(db: string): boolean {
  const target = new Database(db, { readonly: false, create: false });
  try {
    target.run("PRAGMA busy_timeout = 0");
    // An open server connection holds a shared lock in WAL mode: no exclusive lock for us.
    target.run("PRAGMA locking_mode = EXCLUSIVE");
    target.run("BEGIN EXCLUSIVE");
    target.run("COMMIT");
    return false;
  } catch {
    return true;
  } finally {
    target.close();
  }
}

/** Replaces the database at `db` (and adds the files) from a backup made by backup(). */
export async function restore(file: string, db: string, filesDir: string): Promise<BackupResult> {
  if (!(await exists(file))) throw new BackupError(`no backup at ${file}`);
  const integrity = integrityOf(file);
  if (integrity !== "ok") {
    throw new BackupError(`${file} is damaged (integrity check: ${integrity}); nothing changed`);
  }
  const version = schemaVersion(file);
  const known = sqliteMigrations.at(-1)?.version ?? 0;
  if (version > known) {
    throw new BackupError(
      `${file} has schema version ${version}, newer than this server's ${known}; nothing changed`,
    );
  }
  if ((await exists(db)) && inUse(db)) {
    throw new BackupError(`${db} is in use by a running server: stop it first; nothing changed`);
  }
  await mkdir(dirname(db), { recursive: true });
  const partial = `${db}.restoring`;
  await copyFile(file, partial);
  // Left by a server that was killed: they belong to the database being replaced.
  await rm(`${db}-wal`, { force: true });
  await rm(`${db}-shm`, { force: true });
  await rename(partial, db);
  const files = await copyBlobs(filesOfBackup(file), filesDir);
  return { bytes: (await stat(db)).size, files };
}

function schemaVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  } finally {
    db.close();
  }
}
