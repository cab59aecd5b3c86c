/**
 * The embedded store: bun:sqlite in WAL mode with synchronous=FULL, built from one part per
 * concept (store-sqlite-accounts.ts, -rooms, -log, -files, -contacts, -e2ee, -bots,
 * -communities, -user-invites, -admin, -settings, -groups) on one connection.
 *
 * Durability promise: WAL + FULL fsyncs the log at every commit, so a transaction that has
 * committed survives a process crash and a power loss (as far as the disk honours fsync).
 * The server acks a message only after the commit that holds it, and group commit keeps the
 * fsync count per batch, not per message.
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Migration, sqliteMigrations } from "./migrations.ts";
import type { Store } from "./store.ts";
import { exposeParts, type PartClasses, type StoreParts } from "./store-parts.ts";
import { SqliteAccounts } from "./store-sqlite-accounts.ts";
import { SqliteAdmin } from "./store-sqlite-admin.ts";
import { SqliteBots } from "./store-sqlite-bots.ts";
import { SqliteCommunities } from "./store-sqlite-communities.ts";
import { SqliteContacts } from "./store-sqlite-contacts.ts";
import { SqliteE2ee } from "./store-sqlite-e2ee.ts";
import { SqliteFiles } from "./store-sqlite-files.ts";
import { SqliteGroups } from "./store-sqlite-groups.ts";
import { SqliteMessageLog } from "./store-sqlite-log.ts";
import { SqliteRooms } from "./store-sqlite-rooms.ts";
import { SqliteSettings } from "./store-sqlite-settings.ts";
import { SqliteUserInvites } from "./store-sqlite-user-invites.ts";

export function openSqlite(path: string): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  // Set explicitly: FULL makes each commit durable against power loss, not just a crash.
  db.run("PRAGMA synchronous = FULL");
  db.run("PRAGMA foreign_keys = ON");
  db.run("PRAGMA busy_timeout = 5000");
  // A deleted message's text must not linger in free pages (docs/security.md 6a).
  db.run("PRAGMA secure_delete = ON");
  return db;
}

/** Applies every migration newer than the file's user_version, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[] = sqliteMigrations): number {
  const row = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
  let version = row?.user_version ?? 0;
  for (const m of migrations) {
    if (m.version <= version) continue;
    db.transaction(() => {
      db.run(m.sql);
      db.run(`PRAGMA user_version = ${m.version}`);
    }).immediate();
    version = m.version;
  }
  return version;
}

const PARTS: PartClasses<[Database]> = {
  accounts: SqliteAccounts,
  rooms: SqliteRooms,
  log: SqliteMessageLog,
  files: SqliteFiles,
  contacts: SqliteContacts,
  devices: SqliteE2ee,
  bots: SqliteBots,
  communities: SqliteCommunities,
  userInvites: SqliteUserInvites,
  admin: SqliteAdmin,
  settings: SqliteSettings,
  groups: SqliteGroups,
};

/** Every Store method is a part's, put on the prototype by exposeParts below. */
export interface SqliteStore extends Store {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the Store methods come from the parts
export class SqliteStore {
  readonly db: Database;
  readonly parts: StoreParts;

  constructor(path: string) {
    this.db = openSqlite(path);
    migrate(this.db);
    const db = this.db;
    this.parts = Object.fromEntries(
      Object.entries(PARTS).map(([name, Part]) => [name, new Part(db)]),
    ) as unknown as StoreParts;
  }

  /**
   * Read-only mode, for maintenance (a backup, a disk being replaced): every write is refused,
   * so sends are answered UNAVAILABLE rather than acked. Off again restores writing.
   */
  async setReadOnly(on: boolean): Promise<void> {
    this.db.run(`PRAGMA query_only = ${on ? "ON" : "OFF"}`);
  }

  async close() {
    this.db.close();
  }
}

exposeParts(SqliteStore, PARTS);
