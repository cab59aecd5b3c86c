import { join } from "node:path";
import { SessionStore } from "../../src/client/session-store.ts";
import type { Account } from "../support/client.ts";
import { ROOT, suiteDir, suiteServer, type TestServer } from "../support/server.ts";
import { VirtualTerminal } from "./virtual-terminal.ts";

export interface PtyClient {
  screen: VirtualTerminal;
  proc: Bun.Subprocess;
  type(text: string): void;
  /** Every byte the client wrote, escape codes and all, as text. */
  raw(): string;
  /** Waits until the screen matches; the error shows the screen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function spawnClient(
  args: string[],
  env: Record<string, string>,
  size = { cols: 100, rows: 32 },
): PtyClient {
  const screen = new VirtualTerminal(size.cols, size.rows);
  const written: Uint8Array[] = [];
  const proc = Bun.spawn([process.execPath, join(ROOT, "client.ts"), ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    terminal: {
      cols: size.cols,
      rows: size.rows,
      data(_term, bytes) {
        screen.write(bytes);
        written.push(bytes.slice());
      },
    },
  });
  return {
    screen,
    proc,
    raw() {
      return Buffer.concat(written).toString("utf8");
    },
    type(text) {
      proc.terminal?.write(text);
    },
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(screen.text())) {
        if (Date.now() > deadline) {
          throw new Error(`screen never showed ${pattern}; it shows:\n${screen.text()}`);
        }
        await Bun.sleep(20);
      }
    },
  };
}

/**
 * Saves the account's session under `configDir` as `parley login` would (valid for a day), so a
 * client started with XDG_CONFIG_HOME=configDir is logged in already; returns the store.
 */
export function saveLogin(configDir: string, server: string, account: Account): SessionStore {
  const sessions = new SessionStore(join(configDir, "parley"));
  sessions.save([server], { ...account, expiresAt: Date.now() + 86_400_000 });
  return sessions;
}

/** The client, logged in as `account` (saveLogin), opening on the room picker. */
export function spawnLoggedIn(
  server: string,
  account: Account,
  configDir: string,
  size?: { cols: number; rows: number },
): PtyClient {
  saveLogin(configDir, server, account);
  return spawnClient(["--server", server], { XDG_CONFIG_HOME: configDir }, size);
}

/**
 * saveLogin, plus a remembered view so the client opens straight in `#room` (bell on), as if
 * the account had last left it there; returns the store.
 */
export function saveLoginIn(
  configDir: string,
  server: string,
  account: Account,
  room: string,
): SessionStore {
  const sessions = saveLogin(configDir, server, account);
  sessions.saveView([server], account.user.id, {
    last: `#${room}`,
    history: {},
    highlights: [],
    bell: true,
  });
  return sessions;
}

/** What a block of terminal tests shares (see terminalSuite). */
export interface TerminalSuite {
  /** The block's server (rate limits lifted), started before its first test. */
  readonly server: TestServer;
  /** The terminal client's XDG_CONFIG_HOME. */
  readonly config: { readonly path: string };
  /** A home for the other people's devices. */
  readonly other: { readonly path: string };
}

/** One server and two temporary folders for the enclosing block, removed after it. */
export function terminalSuite(): TerminalSuite {
  return {
    server: suiteServer(),
    config: suiteDir("parley-config-"),
    other: suiteDir("parley-other-"),
  };
}
