/**
 * A real server process with the IRC gateway on a free port (`bun server.ts --irc-port 0`, a
 * fresh SQLite database), and accounts that can log in to it.
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { type Account, register, unique } from "../support/client.ts";
import { spawnServer, tempDir } from "../support/server.ts";

export const PASSWORD = "correct horse";

export interface IrcServer {
  url: string;
  wsUrl: string;
  ircUrls: string[];
  ircPort: number;
  /** The SQLite file, for tests that check what was kept. */
  db: string;
  /** Stops it (SIGTERM) and removes its files, unless kept for a look (then call remove). */
  close(options?: { keepFiles?: boolean }): Promise<void>;
  remove(): void;
}

/** Extra flags go after the defaults, so they win (e.g. ["--login-burst", "2"]). */
export async function startIrcServer(flags: string[] = []): Promise<IrcServer> {
  const dir = tempDir("parley-irc-");
  const db = join(dir.path, "parley.db");
  const child = await spawnServer({ db, extraArgs: ["--irc-port", "0", ...flags] });
  const plain = child.ircUrls.find((u) => u.startsWith("irc://")) as string;
  return {
    url: child.url,
    wsUrl: child.wsUrl,
    ircUrls: child.ircUrls,
    ircPort: Number(new URL(plain).port),
    db,
    async close(options = {}) {
      await child.stop();
      if (!options.keepFiles) dir.remove();
    },
    remove: () => dir.remove(),
  };
}

export interface Person extends Account {
  name: string;
  password: string;
}

export async function person(base: string, prefix = "u"): Promise<Person> {
  const name = unique(prefix);
  const account = await register(base, name, PASSWORD);
  return { ...account, name, password: PASSWORD };
}

/** Live sessions the user has, read from the server's database. */
export function sessionCount(db: string, userId: number): number {
  const sqlite = new Database(db, { readonly: true });
  try {
    const row = sqlite
      .query("SELECT count(*) AS n FROM sessions WHERE user_id = ?")
      .get(userId) as { n: number };
    return row.n;
  } finally {
    sqlite.close();
  }
}
