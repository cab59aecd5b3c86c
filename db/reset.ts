#!/usr/bin/env bun
/**
 * `bun run db:reset [--db PATH] [--yes]`: deletes the database and creates an empty, migrated
 * one. It asks first unless given --yes; without an answer (stdin closed) it changes nothing.
 */
import { existsSync, rmSync } from "node:fs";
import { dbPathFrom } from "./cli.ts";
import { SqliteStore } from "./store-sqlite.ts";

const argv = process.argv.slice(2);
const path = dbPathFrom(argv, process.env);

async function confirmed(): Promise<boolean> {
  if (argv.includes("--yes") || argv.includes("-y")) return true;
  process.stdout.write(`This deletes every user, room and message in ${path}. Continue? [y/N] `);
  for await (const line of console) return /^y(es)?$/i.test(line.trim());
  return false;
}

if (existsSync(path) && !(await confirmed())) {
  console.log("\nNothing was changed.");
  process.exit(1);
}
for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
await new SqliteStore(path).close();
console.log(`Reset ${path}: an empty database at the latest schema.`);
