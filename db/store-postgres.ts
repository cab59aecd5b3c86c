/**
 * The shared store for many nodes: PostgreSQL through Bun's built-in client (`Bun.SQL`), built
 * from one part per concept (store-postgres-accounts.ts, -rooms, -log, -files, -contacts,
 * -e2ee, -bots, -communities, -user-invites, -admin, -settings), each given the pool's `run`.
 *
 * Durability promise: append resolves after PostgreSQL answered COMMIT, so an acked message is
 * as durable as the server's WAL settings make it (synchronous_commit = on by default).
 * Seqs are assigned in the database under the room's row lock, so writers on different nodes
 * get gapless, unique seqs per room. When PostgreSQL is unreachable every method rejects with
 * ParleyError UNAVAILABLE (retryAfter, the cause kept); the pool opens new connections on the
 * next call, so the store recovers without a restart. Appends run on a small pool of their own
 * (appendConnections), so a storm of reads never makes a send wait for a connection.
 *
 * No call waits forever: each runs under a deadline, past which the pool is replaced
 * (store-postgres-pool.ts). The append transaction is in store-postgres-append.ts, the
 * migrations runner in store-postgres-migrator.ts, the row shapes in store-postgres-rows.ts.
 */
import type { SQL } from "bun";
import type { Migration } from "./migrations.ts";
import type { Store } from "./store.ts";
import { exposeParts, type PartClasses, type StoreParts } from "./store-parts.ts";
import { PostgresAccounts } from "./store-postgres-accounts.ts";
import { PostgresAdmin } from "./store-postgres-admin.ts";
import { PostgresBots } from "./store-postgres-bots.ts";
import { PostgresCommunities } from "./store-postgres-communities.ts";
import { PostgresContacts } from "./store-postgres-contacts.ts";
import { PostgresE2ee } from "./store-postgres-e2ee.ts";
import { PostgresFiles } from "./store-postgres-files.ts";
import { PostgresGroups } from "./store-postgres-groups.ts";
import { PostgresMessageLog } from "./store-postgres-log.ts";
import { MIGRATION_TIMEOUT_S, migratePostgres } from "./store-postgres-migrator.ts";
import { PostgresPool, type PostgresPoolOptions, type Run } from "./store-postgres-pool.ts";
import { PostgresRooms } from "./store-postgres-rooms.ts";
import { PostgresSettings } from "./store-postgres-settings.ts";
import { PostgresUserInvites } from "./store-postgres-user-invites.ts";

export { migratePostgres } from "./store-postgres-migrator.ts";
export { PostgresTimeoutError } from "./store-postgres-pool.ts";

export interface PostgresStoreOptions extends PostgresPoolOptions {
  /** Migrations to apply at open; tests pass their own. @default postgresMigrations */
  migrations?: readonly Migration[];
  /**
   * Connections kept for appends alone, beside the `max` for everything else, so a storm of
   * reads (a mass resume) never makes sends wait for a connection. Match the commit queue's
   * batches in flight. @default 4
   */
  appendConnections?: number;
}

/** Every part takes the pool's `run`; the log takes the appends' pool's `run` second. */
const PARTS: PartClasses<[run: Run, runAppend: Run]> = {
  accounts: PostgresAccounts,
  rooms: PostgresRooms,
  log: PostgresMessageLog,
  files: PostgresFiles,
  contacts: PostgresContacts,
  devices: PostgresE2ee,
  bots: PostgresBots,
  communities: PostgresCommunities,
  userInvites: PostgresUserInvites,
  admin: PostgresAdmin,
  settings: PostgresSettings,
  groups: PostgresGroups,
};

/** Every Store method is a part's, put on the prototype by exposeParts below. */
export interface PostgresStore extends Store {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the Store methods come from the parts
export class PostgresStore {
  readonly parts: StoreParts;
  private readonly pool: PostgresPool;
  private readonly appendPool: PostgresPool;

  /** Connects, migrates and returns a ready store; rejects when PostgreSQL cannot be reached. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.pool.run(
        ({ sql }) => migratePostgres(sql, options.migrations),
        MIGRATION_TIMEOUT_S,
      );
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  private constructor(options: PostgresStoreOptions) {
    this.pool = new PostgresPool(options);
    this.appendPool = new PostgresPool({ ...options, max: options.appendConnections ?? 4 });
    const run: Run = (work) => this.pool.run(work);
    const runAppend: Run = (work) => this.appendPool.run(work);
    this.parts = Object.fromEntries(
      Object.entries(PARTS).map(([name, Part]) => [name, new Part(run, runAppend)]),
    ) as unknown as StoreParts;
  }

  /** The current pool, for tests and tools; it changes after a deadline. */
  get sql(): SQL {
    return this.pool.sql;
  }

  async close() {
    await Promise.all([this.pool.close(), this.appendPool.close()]);
  }
}

exposeParts(PostgresStore, PARTS);
