/**
 * The account commands, scriptable like send and tail: list the sessions of the saved login,
 * revoke one or every other, change the password (which logs every other session out), and
 * delete the account.
 *
 *   parley sessions                      list them; the current one is marked with *
 *   parley sessions revoke ID | --all    revoke one, or every session but this one
 *   parley password --password-stdin     two lines on stdin: the current, then the new password
 *   parley delete-account --password-stdin   the password on stdin; the account is gone for good
 */
import { Api, type ApiResult, failureText, type SessionView } from "../client-core/api.ts";
import type { ScriptContext } from "./scripts.ts";

export type SessionsAction = { kind: "list" } | { kind: "revoke"; id: string } | { kind: "all" };

function shown(c: ScriptContext): string {
  return c.servers.join(",");
}

/** The saved session's token, or undefined after saying how to log in. */
function savedToken(c: ScriptContext): string | undefined {
  const saved = c.sessions.get(c.servers);
  if (saved) return saved.token;
  c.io.err(
    `parley: not logged in to ${shown(c)}. Run: parley login --server ${shown(c)} --user NAME --password-stdin`,
  );
  return undefined;
}

/** Reports a failure (forgetting a session the server no longer knows); the exit code. */
function failed(c: ScriptContext, r: ApiResult<unknown> & { ok: false }): number {
  if (r.failure.kind === "error" && r.failure.status === 401) {
    c.sessions.forget(c.servers);
    c.io.err("parley: your session has ended: log in again.");
    return 1;
  }
  c.io.err(`parley: ${failureText(r.failure, shown(c))}`);
  return 1;
}

function when(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().slice(0, 16).replace("T", " ") : "-";
}

/** One line per session: a tab between fields, so scripts can cut them. */
export function sessionLine(s: SessionView): string {
  // The agent is the client's own text: keep it to printable characters on one line.
  const agent = s.agent.replace(/[\p{Cc}\p{Cf}]/gu, "?").slice(0, 60) || "unknown client";
  return [
    `${s.current ? "*" : " "} ${s.id}`,
    `created ${when(s.createdAt)}`,
    `last seen ${when(s.lastSeenAt)}`,
    agent,
  ].join("\t");
}

export async function sessions(c: ScriptContext, action: SessionsAction): Promise<number> {
  const token = savedToken(c);
  if (!token) return 1;
  const api = new Api(c.servers, c.transport.fetch);
  if (action.kind === "list") {
    const r = await api.sessions(token);
    if (!r.ok) return failed(c, r);
    for (const s of r.value) c.io.out(sessionLine(s));
    return 0;
  }
  if (action.kind === "all") {
    const r = await api.revokeOtherSessions(token);
    if (!r.ok) return failed(c, r);
    c.io.err(`Logged out ${r.value} other session${r.value === 1 ? "" : "s"}.`);
    return 0;
  }
  const r = await api.revokeSession(token, action.id);
  if (!r.ok) return failed(c, r);
  c.io.err(`Revoked session ${action.id}.`);
  return 0;
}

/** Deletes the account for good after its password; the saved session is forgotten. */
export async function deleteAccount(c: ScriptContext, passwordStdin: boolean): Promise<number> {
  if (!passwordStdin) {
    c.io.err("parley: give your password on standard input, with --password-stdin");
    return 2;
  }
  const token = savedToken(c);
  if (!token) return 1;
  const [pass = ""] = (await c.io.readStdin()).split(/\r?\n/);
  if (pass === "") {
    c.io.err("parley: standard input needs your password");
    return 2;
  }
  const r = await new Api(c.servers, c.transport.fetch).deleteAccount(token, pass);
  if (!r.ok) return failed(c, r);
  c.sessions.forget(c.servers);
  c.io.err("Your account is deleted. Your messages stay, shown as from a deleted user.");
  return 0;
}

export async function password(c: ScriptContext, passwordStdin: boolean): Promise<number> {
  if (!passwordStdin) {
    c.io.err(
      "parley: give the current and the new password on standard input, one a line, with --password-stdin",
    );
    return 2;
  }
  const token = savedToken(c);
  if (!token) return 1;
  const [current = "", next = ""] = (await c.io.readStdin()).split(/\r?\n/);
  if (current === "" || next === "") {
    c.io.err("parley: standard input needs two lines: the current password, then the new one");
    return 2;
  }
  const r = await new Api(c.servers, c.transport.fetch).changePassword(token, current, next);
  if (!r.ok) return failed(c, r);
  c.io.err(
    `Password changed; ${r.value} other session${r.value === 1 ? " was" : "s were"} logged out.`,
  );
  return 0;
}
