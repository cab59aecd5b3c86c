/**
 * Opens the configured store: the embedded SQLite file, or PostgreSQL when a URL is given. The
 * one place the server chooses a backend; everything past it receives a Store.
 */
import type { Store } from "./store.ts";
import { PostgresStore } from "./store-postgres.ts";
import { SqliteStore } from "./store-sqlite.ts";

export interface StoreLocation {
  /** The SQLite file, used when databaseUrl is empty. */
  db: string;
  /** `postgres://…`, or "" for the embedded store. */
  databaseUrl: string;
}

export async function openStore({ db, databaseUrl }: StoreLocation): Promise<Store> {
  if (!databaseUrl) return new SqliteStore(db);
  return PostgresStore.open({ url: databaseUrl });
}
