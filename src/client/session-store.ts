/**
 * Saved sessions, so a restart does not ask for the password again: one token per server, in
 * <config dir>/parley/session.json, written with mode 0600 (it is as good as a password).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UserRef } from "../protocol/index.ts";

export interface SavedSession {
  user: UserRef;
  token: string;
  expiresAt: number;
}

interface SessionFile {
  /** The server last logged in to: the default for commands without --server. */
  current?: string;
  sessions: Record<string, SavedSession>;
}

/** The same server spelled two ways (a trailing slash, upper case) is one key. */
export function serverKey(server: string): string {
  try {
    const url = new URL(server);
    return `${url.protocol}//${url.host}`;
  } catch {
    return server;
  }
}

export class SessionStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, "session.json");
  }

  private read(): SessionFile {
    try {
      const parsed = JSON.parse(readFileSync(this.file, "utf8")) as SessionFile;
      if (parsed && typeof parsed.sessions === "object" && parsed.sessions !== null) return parsed;
    } catch {
      // Missing or unreadable: start empty rather than refuse to run.
    }
    return { sessions: {} };
  }

  private write(data: SessionFile): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  /** The server to use when none is given: the last one logged in to, if any. */
  currentServer(): string | undefined {
    return this.read().current;
  }

  get(server: string): SavedSession | undefined {
    const s = this.read().sessions[serverKey(server)];
    return s && typeof s.token === "string" ? s : undefined;
  }

  save(server: string, session: SavedSession): void {
    const data = this.read();
    data.sessions[serverKey(server)] = session;
    data.current = serverKey(server);
    this.write(data);
  }

  forget(server: string): void {
    const data = this.read();
    delete data.sessions[serverKey(server)];
    if (Object.keys(data.sessions).length === 0) {
      rmSync(this.file, { force: true });
      return;
    }
    this.write(data);
  }
}
