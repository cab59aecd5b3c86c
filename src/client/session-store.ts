/**
 * Saved sessions, so a restart does not ask for the password again: one token per deployment,
 * in <config dir>/parley/session.json, written with mode 0600 (it is as good as a password).
 * A deployment is the list of node URLs given at login; its first node is the key, and any
 * of its nodes finds it again.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UserRef } from "../protocol/index.ts";
import { serverBase } from "./server-url.ts";

export interface SavedSession {
  user: UserRef;
  token: string;
  expiresAt: number;
  /** Every node of the deployment, in the order given at login. Absent in older files. */
  servers?: string[];
  /** The private CA given with --ca at login (an absolute path): trusted again without it. */
  ca?: string;
}

/**
 * What the chat view remembers for a deployment across restarts: the buffer last on screen,
 * each buffer's input history, the highlight words and whether a mention rings the bell.
 */
export interface ViewMemory {
  /** "#lounge" or "@bob". */
  last?: string;
  /** Buffer label → lines sent there, oldest first. */
  history: Record<string, string[]>;
  highlights: string[];
  bell: boolean;
}

export const EMPTY_VIEW: ViewMemory = { history: {}, highlights: [], bell: true };

interface SessionFile {
  /** The deployment last logged in to (its key): the default for commands without --server. */
  current?: string;
  sessions: Record<string, SavedSession>;
}

/** The same server spelled two ways (a trailing slash, upper case, wss://) is one key. */
export function serverKey(server: string): string {
  return serverBase(server) ?? server;
}

function asList(servers: string | readonly string[]): string[] {
  return (typeof servers === "string" ? [servers] : [...servers]).map(serverKey);
}

function nodesOf(key: string, s: SavedSession): string[] {
  return Array.isArray(s.servers) && s.servers.length > 0 ? s.servers.map(serverKey) : [key];
}

export class SessionStore {
  readonly file: string;
  /** The view's memory (view.json): input history is private too, so it is 0600 as well. */
  readonly viewFile: string;

  constructor(readonly dir: string) {
    this.file = join(dir, "session.json");
    this.viewFile = join(dir, "view.json");
  }

  /** What the view remembered for this user of this deployment (empty if nothing, or unreadable). */
  view(servers: string | readonly string[], user: number): ViewMemory {
    const key = `${asList(servers)[0]} ${user}`;
    try {
      const all = JSON.parse(readFileSync(this.viewFile, "utf8")) as Record<string, ViewMemory>;
      const v = all[key];
      if (v && typeof v.history === "object" && Array.isArray(v.highlights)) {
        return { ...EMPTY_VIEW, ...v };
      }
    } catch {
      // Missing or damaged: start afresh; it is only a convenience.
    }
    return { ...EMPTY_VIEW, history: {}, highlights: [] };
  }

  saveView(servers: string | readonly string[], user: number, view: ViewMemory): void {
    const key = `${asList(servers)[0]} ${user}`;
    let all: Record<string, ViewMemory> = {};
    try {
      all = JSON.parse(readFileSync(this.viewFile, "utf8")) as Record<string, ViewMemory>;
    } catch {
      all = {};
    }
    all[key] = view;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.viewFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.viewFile);
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

  /** Keys of the saved deployments that share a node with `servers`. */
  private matching(data: SessionFile, servers: string | readonly string[]): string[] {
    const wanted = asList(servers);
    return Object.entries(data.sessions)
      .filter(([key, s]) => s && nodesOf(key, s).some((n) => wanted.includes(n)))
      .map(([key]) => key);
  }

  /** The nodes to use when no --server is given: the deployment last logged in to, if any. */
  currentServers(): string[] | undefined {
    const data = this.read();
    if (!data.current) return undefined;
    const saved = data.sessions[data.current];
    return saved ? nodesOf(data.current, saved) : [data.current];
  }

  /** The session for this deployment: saved under any of its nodes. */
  get(servers: string | readonly string[]): SavedSession | undefined {
    const data = this.read();
    const key = this.matching(data, servers)[0];
    const s = key === undefined ? undefined : data.sessions[key];
    return s && typeof s.token === "string" ? s : undefined;
  }

  save(servers: string | readonly string[], session: SavedSession): void {
    const data = this.read();
    for (const key of this.matching(data, servers)) delete data.sessions[key];
    const nodes = asList(servers);
    const key = nodes[0] as string;
    data.sessions[key] = { ...session, servers: nodes };
    data.current = key;
    this.write(data);
  }

  forget(servers: string | readonly string[]): void {
    const data = this.read();
    for (const key of this.matching(data, servers)) delete data.sessions[key];
    if (Object.keys(data.sessions).length === 0) {
      rmSync(this.file, { force: true });
      return;
    }
    this.write(data);
  }
}
