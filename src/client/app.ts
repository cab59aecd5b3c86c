/**
 * The interactive client, start to end: check for a terminal, find or make a session, then
 * alternate between the room picker and the chat view until the user quits.
 */
import * as p from "@clack/prompts";
import { Api, failureText } from "../client-core/api.ts";
import { Connection } from "../client-core/connection.ts";
import { FileTransfer } from "../client-core/file-transfer.ts";
import { searcher } from "../client-core/message-search.ts";
import { ReportsApi } from "../client-core/reports-api.ts";
import { SecureDm, type StartResult } from "../client-core/secure-dm.ts";
import { runChatView } from "./chat-view.ts";
import { deviceFiles } from "./device-files.ts";
import { askRetry, type MenuIo, pickRoom, welcome } from "./menus.ts";
import type { SavedSession, SessionStore, ViewMemory } from "./session-store.ts";
import { createStyle, type Style } from "./style.ts";
import type { TerminalTheme } from "./theme.ts";
import type { Transport } from "./transport.ts";

/** Narrower than this, the chat's lines and the menus' hints stop making sense. */
export const MIN_COLUMNS = 40;

export interface InteractiveOptions {
  /** The nodes of one deployment, tried in turn. */
  servers: string[];
  sessions: SessionStore;
  /** fetch and WebSocket with the TLS trust chosen on the command line. */
  transport: Transport;
  /** The --ca path (absolute), remembered with the session at login. */
  ca?: string;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** Where "cannot run here" messages go (stderr): stdout may not be a terminal. */
  error: (text: string) => void;
  color: boolean;
  /** The terminal theme (theme.ts); without it, the default theme or (color false) none. */
  theme?: TerminalTheme | undefined;
}

type Step = "quit" | "failed" | "login";

export async function runInteractive(o: InteractiveOptions): Promise<number> {
  // Checked first: clack waiting on a stdin that is not a terminal spins forever.
  if (!o.input.isTTY || !o.output.isTTY) {
    o.error(
      "parley: the interactive client needs a terminal. For scripts and pipes use " +
        "`parley login`, `parley send` or `parley tail` (see parley --help).",
    );
    return 2;
  }
  const columns = o.output.columns ?? 0;
  if (columns < MIN_COLUMNS) {
    o.error(
      `parley: the terminal is ${columns} columns wide; the chat needs at least ${MIN_COLUMNS}.`,
    );
    return 2;
  }
  const io: MenuIo = { input: o.input, output: o.output };
  const api = new Api(o.servers, o.transport.fetch);
  const style = createStyle(o.theme ?? o.color);
  p.intro(style.bold("Parley"), io);
  for (;;) {
    const session = await signIn(o, api, io);
    if (session === "quit" || session === "failed") {
      p.outro("Bye.", io);
      return session === "quit" ? 0 : 1;
    }
    const step = await chat(o, api, io, style, session);
    if (step !== "login") {
      p.outro("Bye.", io);
      return step === "quit" ? 0 : 1;
    }
  }
}

/** A saved session that still works, or a new one from the welcome menu. */
async function signIn(
  o: InteractiveOptions,
  api: Api,
  io: MenuIo,
): Promise<SavedSession | "quit" | "failed"> {
  for (;;) {
    const saved = o.sessions.get(o.servers);
    const probe = saved ? await api.me(saved.token) : await api.health();
    if (!probe.ok) {
      const f = probe.failure;
      if (saved && f.kind === "error" && f.status === 401) {
        o.sessions.forget(o.servers);
        p.log.warn("Your saved session has ended. Please log in again.", io);
      } else if (f.kind === "certificate") {
        // Retrying cannot help: the fix is a flag on the next start, so say which and stop.
        p.log.error(failureText(f, api.server), io);
        return "failed";
      } else {
        if (await askRetry(failureText(f, o.servers.join(", ")), io)) continue;
        return "failed";
      }
    } else if (saved) {
      p.log.info(`Logged in as ${saved.user.name}.`, io);
      return saved;
    }
    const issued = await welcome(api, io);
    if (issued === "cancel") return "quit";
    o.sessions.save(o.servers, { ...issued, ...(o.ca ? { ca: o.ca } : {}) });
    p.log.success(`Logged in as ${issued.user.name}.`, io);
    return issued;
  }
}

async function chat(
  o: InteractiveOptions,
  api: Api,
  io: MenuIo,
  style: Style,
  session: SavedSession,
): Promise<Step> {
  const conn = new Connection({
    server: o.servers,
    token: session.token,
    fetch: o.transport.fetch,
    WebSocket: o.transport.WebSocket,
  });
  conn.start();
  const secure = await startEncryption(o, conn, session, io);
  const files = new FileTransfer({
    server: () => conn.server,
    token: session.token,
    fetch: o.transport.fetch,
  });
  const search = searcher({
    server: () => conn.server,
    token: session.token,
    fetch: o.transport.fetch,
  });
  const reports = new ReportsApi({
    server: () => conn.server,
    token: session.token,
    fetch: o.transport.fetch,
  });
  const memory = {
    load: () => o.sessions.view(o.servers, session.user.id),
    save: (m: ViewMemory) => o.sessions.saveView(o.servers, session.user.id, m),
  };
  // After a restart the last buffer comes back at once; the picker is for when there is none.
  let restore = memory.load().last;
  try {
    for (;;) {
      const choice = restore
        ? { kind: "room" as const, name: restore }
        : await pickRoom(api, session.token, io);
      restore = undefined;
      if (choice.kind === "retry") continue;
      if (choice.kind === "quit") return "quit";
      if (choice.kind === "logout") {
        const result = await api.logout(session.token);
        o.sessions.forget(o.servers);
        if (!result.ok)
          p.log.warn(
            `Could not revoke the session on the server: ${failureText(result.failure, api.server)}`,
            io,
          );
        p.log.success("Logged out.", io);
        return "login";
      }
      const outcome = await runChatView({
        conn,
        room: choice.name,
        input: o.input,
        output: o.output,
        style,
        ...(secure ? { secure } : {}),
        files,
        search,
        reports,
        memory,
      });
      if (outcome === "quit") return "quit";
      if (outcome === "session-ended") {
        o.sessions.forget(o.servers);
        return "login";
      }
    }
  } finally {
    const unsent = conn.pending().length;
    if (unsent > 0)
      p.log.warn(`${unsent} unsent ${unsent === 1 ? "message was" : "messages were"} dropped.`, io);
    secure?.close();
    conn.close();
  }
}

/** Why encryption could not start, and what to do about it. */
function startFailure(
  reason: Exclude<StartResult, { ok: true }>["reason"],
  identity: string,
  keys: string,
): string {
  switch (reason) {
    case "identity-damaged":
      return `This device's key file ${identity} is damaged. Move it away to make a new one (your contacts will be told your keys changed).`;
    case "identity-foreign":
      return `The key file ${identity} belongs to another account. Move it away to make a new one.`;
    case "key-book-corrupt":
      return `The key book ${keys} is damaged. Move it away to start over (every key is then trusted again on first use).`;
  }
}

/**
 * Loads or makes this device's keys (0600 files next to the session) and publishes them. Private
 * messages are off, with the reason shown, if that fails; rooms work either way.
 */
async function startEncryption(
  o: InteractiveOptions,
  conn: Connection,
  session: SavedSession,
  io: MenuIo,
): Promise<SecureDm | undefined> {
  const files = deviceFiles(o.sessions.dir, o.servers[0] as string, session.user.id);
  const secure = new SecureDm({
    conn,
    identities: files.identities,
    keyBook: files.keyBook,
    restoredKeys: files.restoredKeys,
  });
  const started = await Promise.race([
    secure.start().catch(() => "stopped" as const),
    Bun.sleep(15_000).then(() => "slow" as const),
  ]);
  // Still connecting: it finishes in the background once the server answers.
  if (started === "slow" || started === "stopped") return secure;
  if (started.ok) return secure;
  p.log.warn(
    `Private messages are off: ${startFailure(started.reason, files.identityPath, files.keyBookPath)}`,
    io,
  );
  secure.close();
  return undefined;
}
