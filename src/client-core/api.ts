/**
 * The HTTP half of the protocol: accounts, sessions and room lists. Like the connection layer it
 * uses only fetch (injected, so the terminal can pass one that trusts a private CA), so the
 * browser client can share it. Failures come back as values: a coded error from the server,
 * "unreachable" when there was no answer at all, or "certificate" when TLS refused the server.
 *
 * Given several nodes of one deployment, a request nobody answered goes to the next node, and
 * the node that answered is used first from then on.
 */
import type { RoomSummary, SessionView, UserRef } from "../protocol/index.ts";
import { type CertificateProblem, certificateProblem, certificateText } from "./certificate.ts";

export interface Issued {
  user: UserRef;
  token: string;
  expiresAt: number;
}

export type { SessionView } from "../protocol/index.ts";

export type ApiFailure =
  | { kind: "error"; status: number; code: string; message: string; retryAfter?: number }
  | { kind: "unreachable"; message: string }
  | { kind: "certificate"; server: string; problem: CertificateProblem };

export type ApiResult<T> = { ok: true; value: T } | { ok: false; failure: ApiFailure };

export class Api {
  private readonly servers: readonly string[];
  /** The node tried first: the last one that answered. */
  private node = 0;

  constructor(
    servers: string | readonly string[],
    private readonly fetchFn: typeof fetch = globalThis.fetch.bind(globalThis),
  ) {
    this.servers = typeof servers === "string" ? [servers] : servers;
    if (this.servers.length === 0) throw new Error("Api needs at least one server");
  }

  /** The node in use: the one that answered last (the first, until one has). */
  get server(): string {
    return this.servers[this.node] as string;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<ApiResult<T>> {
    let failure: ApiFailure | undefined;
    for (let tried = 0; tried < this.servers.length; tried++) {
      const node = (this.node + tried) % this.servers.length;
      const result = await this.callNode<T>(
        this.servers[node] as string,
        method,
        path,
        body,
        token,
      );
      // Only "nobody answered" moves on: a refusal is the deployment's answer, and a
      // certificate failure is a problem to report, not to route around.
      if (!result.ok && result.failure.kind === "unreachable") {
        failure ??= result.failure;
        continue;
      }
      this.node = node;
      return result;
    }
    return { ok: false, failure: failure as ApiFailure };
  }

  private async callNode<T>(
    server: string,
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<ApiResult<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await this.fetchFn(new URL(path, server), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      const problem = certificateProblem(err);
      if (problem) return { ok: false, failure: { kind: "certificate", server, problem } };
      return { ok: false, failure: { kind: "unreachable", message: unreachableText(err) } };
    }
    const text = await res.text().catch(() => "");
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) return { ok: true, value: parsed as T };
    const e = (parsed ?? {}) as { code?: string; message?: string; retryAfter?: number };
    const failure: ApiFailure = {
      kind: "error",
      status: res.status,
      code: e.code ?? "INTERNAL",
      message: e.message ?? `The server answered ${res.status}.`,
    };
    if (e.retryAfter !== undefined) failure.retryAfter = e.retryAfter;
    return { ok: false, failure };
  }

  register(username: string, password: string): Promise<ApiResult<Issued>> {
    return this.call("POST", "/api/register", { username, password });
  }

  login(username: string, password: string): Promise<ApiResult<Issued>> {
    return this.call("POST", "/api/login", { username, password });
  }

  logout(token: string): Promise<ApiResult<null>> {
    return this.call("POST", "/api/logout", undefined, token);
  }

  me(token: string): Promise<ApiResult<{ user: UserRef; expiresAt: number }>> {
    return this.call("GET", "/api/me", undefined, token);
  }

  async createRoom(token: string, name: string): Promise<ApiResult<RoomSummary>> {
    const r = await this.call<{ room: RoomSummary }>("POST", "/api/rooms", { name }, token);
    return r.ok ? { ok: true, value: r.value.room } : r;
  }

  /** Is anything answering at this address? */
  health(): Promise<ApiResult<{ ok: boolean }>> {
    return this.call("GET", "/healthz");
  }

  /** The caller's sessions, newest first (GET /api/sessions). */
  async sessions(token: string): Promise<ApiResult<SessionView[]>> {
    const r = await this.call<{ sessions: SessionView[] }>(
      "GET",
      "/api/sessions",
      undefined,
      token,
    );
    return r.ok ? { ok: true, value: r.value.sessions } : r;
  }

  revokeSession(token: string, id: string): Promise<ApiResult<null>> {
    return this.call("DELETE", `/api/sessions/${encodeURIComponent(id)}`, undefined, token);
  }

  /** Logs out everywhere else; how many sessions it revoked. */
  async revokeOtherSessions(token: string): Promise<ApiResult<number>> {
    const r = await this.call<{ revoked: number }>("DELETE", "/api/sessions", undefined, token);
    return r.ok ? { ok: true, value: r.value.revoked } : r;
  }

  /** Changes the password, which revokes every other session; how many it revoked. */
  async changePassword(
    token: string,
    current: string,
    password: string,
  ): Promise<ApiResult<number>> {
    const r = await this.call<{ revoked: number }>(
      "POST",
      "/api/password",
      { current, password },
      token,
    );
    return r.ok ? { ok: true, value: r.value.revoked } : r;
  }

  /** Deletes the account for good, after its password (DELETE /api/account). */
  deleteAccount(token: string, password: string): Promise<ApiResult<null>> {
    return this.call("DELETE", "/api/account", { password }, token);
  }

  async rooms(token: string): Promise<ApiResult<RoomSummary[]>> {
    const r = await this.call<{ rooms: RoomSummary[] }>("GET", "/api/rooms", undefined, token);
    return r.ok ? { ok: true, value: r.value.rooms } : r;
  }
}

function unreachableText(err: unknown): string {
  const code = (err as { code?: string })?.code;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if (err instanceof Error && err.name === "TimeoutError") return "no answer within 15 s";
  if (code) return code;
  return err instanceof Error ? err.message : String(err);
}

/** One line a user can read for any failure. */
export function failureText(f: ApiFailure, server: string): string {
  if (f.kind === "certificate") return certificateText(f.server, f.problem);
  if (f.kind === "unreachable")
    return `Cannot reach the Parley server at ${server} (${f.message}).`;
  const wait = f.retryAfter !== undefined ? ` Try again in ${f.retryAfter} s.` : "";
  return `${f.message}${wait}`;
}
