/**
 * The scriptable commands (login, send, tail, logout): no prompts and no terminal needed. They
 * use the same session file and the same connection layer as the interactive client.
 */

import { Api, failureText } from "../client-core/api.ts";
import { Connection, RequestError } from "../client-core/connection.ts";
import { formatBytes } from "../client-core/file-transfer.ts";
import type { OutboxItem } from "../client-core/outbox.ts";
import { type DmContent, SecureDm } from "../client-core/secure-dm.ts";
import { parseAttachment } from "../crypto/index.ts";
import { HISTORY_PAGE_MAX, type Message } from "../protocol/index.ts";
import { deviceFiles } from "./device-files.ts";
import type { SessionStore } from "./session-store.ts";
import { statusText } from "./status-text.ts";
import { sanitize } from "./text-layout.ts";
import type { Transport } from "./transport.ts";

export interface ScriptIo {
  out(text: string): void;
  err(text: string): void;
  /** All of standard input, for --password-stdin and a message piped to send. */
  readStdin(): Promise<string>;
}

export interface ScriptContext {
  /** The nodes of one deployment, tried in turn. */
  servers: string[];
  sessions: SessionStore;
  io: ScriptIo;
  /** fetch and WebSocket with the TLS trust chosen on the command line. */
  transport: Transport;
  /** The --ca path (absolute), remembered with the session at login. */
  ca?: string;
}

/** The nodes as the user typed them: for messages and suggested commands. */
function shown(c: ScriptContext): string {
  return c.servers.join(",");
}

function notLoggedIn(c: ScriptContext): number {
  c.io.err(
    `parley: not logged in to ${shown(c)}. Run: parley login --server ${shown(c)} --user NAME --password-stdin`,
  );
  return 1;
}

export async function login(
  c: ScriptContext,
  user: string | undefined,
  passwordStdin: boolean,
): Promise<number> {
  if (!user) {
    c.io.err("parley: login needs --user NAME");
    return 2;
  }
  if (!passwordStdin) {
    c.io.err("parley: give the password on standard input with --password-stdin");
    return 2;
  }
  // The first line only, so `echo secret | parley login …` works and the newline is not part of it.
  const password = (await c.io.readStdin()).split(/\r?\n/)[0] ?? "";
  if (password === "") {
    c.io.err("parley: no password on standard input");
    return 2;
  }
  const api = new Api(c.servers, c.transport.fetch);
  const result = await api.login(user, password);
  if (!result.ok) {
    c.io.err(`parley: ${failureText(result.failure, shown(c))}`);
    return 1;
  }
  c.sessions.save(c.servers, { ...result.value, ...(c.ca ? { ca: c.ca } : {}) });
  c.io.err(`Logged in to ${api.server} as ${result.value.user.name}.`);
  return 0;
}

export async function logout(c: ScriptContext): Promise<number> {
  const saved = c.sessions.get(c.servers);
  if (!saved) {
    c.io.err(`parley: not logged in to ${shown(c)}.`);
    return 0;
  }
  const result = await new Api(c.servers, c.transport.fetch).logout(saved.token);
  c.sessions.forget(c.servers);
  if (!result.ok && result.failure.kind !== "error") {
    c.io.err(
      `parley: forgot the session, but could not revoke it: ${failureText(result.failure, shown(c))}`,
    );
    return 1;
  }
  c.io.err(`Logged out of ${shown(c)}.`);
  return 0;
}

/** A connection whose status goes to stderr, and which forgets a session the server ended. */
function open(c: ScriptContext, token: string): Connection {
  const conn = new Connection({
    server: c.servers,
    token,
    fetch: c.transport.fetch,
    WebSocket: c.transport.WebSocket,
  });
  conn.on("status", (s) => {
    if (s.kind === "connecting" || s.kind === "connected") return;
    if (s.kind === "stopped" && s.reason === "closed") return; // we closed it: nothing to say
    if (s.kind === "stopped" && s.reason === "session-ended") c.sessions.forget(c.servers);
    c.io.err(`parley: ${statusText(s)}`);
  });
  conn.on("notice", (text) => c.io.err(`parley: ${text}`));
  conn.start();
  return conn;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** This installation's device keys (made on first use), started on the connection. */
async function startSecure(c: ScriptContext, conn: Connection, user: number): Promise<SecureDm> {
  const files = deviceFiles(c.sessions.dir, c.servers[0] as string, user);
  const secure = new SecureDm({
    conn,
    identities: files.identities,
    keyBook: files.keyBook,
    restoredKeys: files.restoredKeys,
  });
  secure.on("keys", (k) => {
    if (k.observation.trust === "changed") {
      c.io.err(`parley: warning: the keys of ${k.self ? "your own account" : k.user.name} changed`);
    }
  });
  secure.on("problem", (text) => c.io.err(`parley: ${text}`));
  const started = await secure.start();
  if (!started.ok) {
    throw new RequestError(
      "NO_IDENTITY",
      `encryption cannot start (${started.reason}): see ${files.identityPath} and ${files.keyBookPath}`,
    );
  }
  return secure;
}

/** Queues a DM to `to`, sealed with this installation's device keys. */
async function queueDm(
  c: ScriptContext,
  conn: Connection,
  user: number,
  to: string,
  body: string,
): Promise<OutboxItem> {
  const secure = await startSecure(c, conn, user);
  const room = await secure.openDm(to, { from: "head" });
  return secure.send(room.id, body);
}

export async function send(
  c: ScriptContext,
  target: { room: string } | { to: string },
  text: string | undefined,
  timeoutSeconds: number,
): Promise<number> {
  const saved = c.sessions.get(c.servers);
  if (!saved) return notLoggedIn(c);
  const body = text ?? (await c.io.readStdin()).replace(/\r?\n$/, "");
  if (body.trim() === "") {
    c.io.err("parley: nothing to send: give TEXT or pipe it on standard input");
    return 2;
  }
  const conn = open(c, saved.token);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const outcome = await Promise.race([
      (async () => {
        let item: OutboxItem;
        if ("room" in target) {
          const joined = await conn.join(target.room, { from: "head" });
          item = conn.send(joined.id, body);
        } else {
          item = await queueDm(c, conn, saved.user.id, target.to, body);
        }
        return new Promise<number>((resolve) => {
          conn.on("delivered", (done) => {
            if (done.cid === item.cid) resolve(0);
          });
          conn.on("undeliverable", (failed, error) => {
            if (failed.cid !== item.cid) return;
            const why =
              error.code === "HELD" && "to" in target
                ? `${target.to}'s keys (or yours) changed; check them in the interactive client with /verify or /trust ${target.to}`
                : error.message;
            c.io.err(`parley: not sent: ${why}`);
            resolve(1);
          });
          conn.on("status", (s) => {
            if (s.kind === "stopped") resolve(1);
          });
        });
      })(),
      new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          c.io.err(`parley: not sent: no acknowledgement within ${timeoutSeconds} s`);
          resolve(1);
        }, timeoutSeconds * 1000);
      }),
    ]);
    return outcome;
  } catch (err) {
    if (!(err instanceof RequestError && err.code === "STOPPED")) {
      c.io.err(`parley: ${errorText(err)}`);
    }
    return 1;
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

/** A tail line: one JSON object, or one line of text with every control character escaped. */
export function formatTailLine(m: Message, where: string, json: boolean, body = m.body): string {
  if (json) {
    return JSON.stringify({
      room: m.room,
      roomName: where.slice(1),
      kind: where.startsWith("@") ? "dm" : "room",
      seq: m.seq,
      ts: m.ts,
      from: m.from,
      cid: m.cid,
      body,
      ...(m.file ? { file: m.file } : {}),
    });
  }
  // One message is one line, whatever it holds: a newline or ESC in a body could forge a line.
  const file = m.file
    ? `[file] ${m.file.name} (${formatBytes(m.file.size)}, ${m.file.type}) id ${m.file.id}`
    : "";
  const text = [body, file].filter((t) => t !== "").join(" ");
  return `${new Date(m.ts).toISOString()} ${sanitize(where)} ${sanitize(m.from.name)}: ${sanitize(text)}`;
}

/** What a DM body reads as in a tail: the text, or why it cannot be shown. */
function dmBody(content: DmContent): string {
  if (content.kind === "text") {
    const attachment = parseAttachment(content.text);
    if (!attachment) return content.text;
    return `[file] ${attachment.name} (${formatBytes(attachment.size)}, encrypted) id ${attachment.id}`;
  }
  return content.kind === "tampered" ? "(tampered: not shown)" : "(not readable on this device)";
}

/**
 * A private conversation's messages, decrypted on this device: the backlog `since` asks for
 * (fetched here, as the device already receives every DM from its head), then live ones.
 */
async function tailDm(
  c: ScriptContext,
  conn: Connection,
  user: number,
  to: string,
  json: boolean,
  since: number | "new" | undefined,
): Promise<void> {
  const secure = await startSecure(c, conn, user);
  let shownUpTo: number | undefined;
  const early: [Message, DmContent][] = [];
  const print = (m: Message, content: DmContent) => {
    if (shownUpTo !== undefined && m.seq <= shownUpTo) return;
    shownUpTo = m.seq;
    c.io.out(formatTailLine(m, `@${to}`, json, dmBody(content)));
  };
  let room: { id: number; head: number } | undefined;
  secure.on("message", (m, content) => {
    if (!room) early.push([m, content]);
    else if (m.room === room.id) print(m, content);
  });
  const opened = await secure.openDm(to, { from: "head" });
  const backlog: Message[] = [];
  if (since === undefined) {
    backlog.push(
      ...(await conn.history(opened.id, { before: opened.head + 1, limit: 50 })).messages,
    );
  } else if (since !== "new") {
    for (let after = since; after < opened.head; ) {
      const page = await conn.history(opened.id, { after, limit: HISTORY_PAGE_MAX });
      backlog.push(...page.messages.filter((m) => m.seq <= opened.head));
      const last = page.messages.at(-1)?.seq;
      if (!page.more || last === undefined) break;
      after = last;
    }
  }
  for (const m of backlog) {
    const revealed = await secure.reveal(m, { dedupe: false });
    if (revealed) print(revealed.message, revealed.content);
  }
  shownUpTo = Math.max(shownUpTo ?? 0, opened.head);
  room = opened;
  for (const [m, content] of early.splice(0)) if (m.room === opened.id) print(m, content);
}

/**
 * Prints messages until the session ends (exit 1) or the process is stopped. `since` picks the
 * start: after that seq, "new" (only messages sent from now on), or undefined (recent history).
 */
export async function tail(
  c: ScriptContext,
  target: { room: string } | { to: string },
  json: boolean,
  since: number | "new" | undefined,
): Promise<number> {
  const saved = c.sessions.get(c.servers);
  if (!saved) return notLoggedIn(c);
  const conn = open(c, saved.token);
  const stopped = new Promise<number>((resolve) =>
    conn.on("status", (s) => {
      if (s.kind === "stopped") resolve(1);
    }),
  );
  const from = since === undefined ? {} : { from: since === "new" ? ("head" as const) : since };
  try {
    if ("to" in target) {
      await tailDm(c, conn, saved.user.id, target.to, json, since);
      return stopped;
    }
    // The replay arrives before join() resolves: listen first, hold lines until the id is known.
    let joined: { id: number; name: string } | undefined;
    const early: Message[] = [];
    conn.on("message", (m) => {
      if (!joined) early.push(m);
      else if (m.room === joined.id) c.io.out(formatTailLine(m, `#${joined.name}`, json));
    });
    const room = await conn.join(target.room, from);
    joined = room;
    for (const m of early.splice(0)) {
      if (m.room === room.id) c.io.out(formatTailLine(m, `#${room.name}`, json));
    }
  } catch (err) {
    if (!(err instanceof RequestError && err.code === "STOPPED")) {
      c.io.err(`parley: ${errorText(err)}`);
    }
    conn.close();
    return 1;
  }
  return stopped;
}
