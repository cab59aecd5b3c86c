/**
 * The PostgreSQL store's migrations runner: brings a database's schema up to the newest
 * migration, safely when several nodes start at once.
 */
import type { SQL } from "bun";
import type { Migration } from "./migrations.ts";
import { postgresMigrations } from "./migrations-postgres.ts";

/** Any fixed number: every node takes the same lock, so only one migrates at a time. */
const MIGRATION_LOCK = 0x7061726c; // "parl"
/** Migrating a large table, or waiting for another node to, may take long; but not forever. */
export const MIGRATION_TIMEOUT_S = 300;

/**
 * Applies every migration newer than the database's version, all in one transaction under a
 * transaction-scoped advisory lock: nodes that start together wait for the first one, then
 * find nothing left to do. A migration that fails rolls back completely.
 */
export async function migratePostgres(
  sql: SQL,
  migrations: readonly Migration[] = postgresMigrations,
): Promise<number> {
  return sql.begin(async (tx) => {
    // The store's statement_timeout is for chat traffic; a migration (or the wait for another
    // node's) may legitimately run longer.
    await tx`SET LOCAL statement_timeout = 0`;
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS parley_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at bigint NOT NULL
    )`;
    const [row] = await tx`SELECT coalesce(max(version), 0)::int AS version FROM parley_migrations`;
    let version: number = row.version;
    for (const m of migrations) {
      if (m.version <= version) continue;
      // Migration files are ours and carry no parameters; unsafe runs their several statements.
      await tx.unsafe(m.sql);
      await tx`INSERT INTO parley_migrations (version, name, applied_at)
               VALUES (${m.version}, ${m.name}, ${Date.now()})`;
      version = m.version;
    }
    return version;
  });
}
