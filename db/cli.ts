/** What db:seed and db:reset share: which database file to work on. */
import { DEFAULTS } from "../src/server/config.ts";

/** `--db PATH`, else PARLEY_DB, else the server's default. */
export function dbPathFrom(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): string {
  const i = argv.indexOf("--db");
  const flag = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith("--db="))?.slice(5);
  return flag || env.PARLEY_DB || DEFAULTS.db;
}
