/**
 * parley-server's maintenance subcommands: `backup --to FILE` and `restore --from FILE`. They
 * take the server's own options (--db, --files-dir, their environment variables) to find the
 * data, print one line, and return the exit code: 0 done, 1 failed, 2 bad usage.
 */
import { BackupError, backup, filesOfBackup, restore } from "./backup.ts";
import { filesDirOf } from "./config.ts";
import { parseConfig } from "./config-parser.ts";

export const MAINTENANCE_HELP = [
  "Usage: parley-server backup --to FILE [--db PATH] [--files-dir DIR]",
  "       parley-server restore --from FILE [--db PATH] [--files-dir DIR]",
  "",
  "backup copies the live SQLite database to FILE while the server runs (VACUUM INTO: one",
  "consistent snapshot) and the uploaded files to FILE.files/.",
  "restore checks FILE's integrity, refuses a database a running server has open, then",
  "replaces the database with FILE and adds FILE.files/ to the files directory.",
  "PostgreSQL deployments use pg_dump and pg_restore: see docs/operations.md.",
].join("\n");

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Undefined when argv is not a maintenance command (the server starts as usual). */
export async function runMaintenance(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: Output,
): Promise<number | undefined> {
  const command = argv[0];
  if (command !== "backup" && command !== "restore") return undefined;
  const pathFlag = command === "backup" ? "--to" : "--from";
  const rest: string[] = [];
  let path: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") {
      io.out(MAINTENANCE_HELP);
      return 0;
    }
    if (arg === pathFlag) path = argv[++i];
    else if (arg.startsWith(`${pathFlag}=`)) path = arg.slice(pathFlag.length + 1);
    else rest.push(arg);
  }
  if (!path) {
    io.err(`parley-server ${command}: ${pathFlag} FILE is required (see ${command} --help)`);
    return 2;
  }
  const parsed = parseConfig(rest, env);
  if (parsed.kind !== "config") {
    io.err(`parley-server ${command}: ${parsed.kind === "error" ? parsed.message : "bad options"}`);
    return 2;
  }
  const config = parsed.config;
  if (config.databaseUrl !== "") {
    io.err(
      `parley-server ${command}: this deployment uses PostgreSQL; use pg_dump and pg_restore (docs/operations.md)`,
    );
    return 2;
  }
  const files = filesDirOf(config);
  try {
    if (command === "backup") {
      const r = await backup(config.db, files, path);
      io.out(
        `Backed up ${config.db} to ${path} (${r.bytes} bytes), ${r.files} new files to ${filesOfBackup(path)}`,
      );
    } else {
      const r = await restore(path, config.db, files);
      io.out(
        `Restored ${config.db} from ${path} (${r.bytes} bytes), ${r.files} files added to ${files}`,
      );
    }
    return 0;
  } catch (err) {
    const message = err instanceof BackupError || err instanceof Error ? err.message : String(err);
    io.err(`parley-server ${command}: ${message}`);
    return 1;
  }
}
