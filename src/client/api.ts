/**
 * The HTTP half of the protocol: accounts, sessions and room lists. Like the connection layer it
 * uses only fetch, so the browser client can share it. Failures come back as values: a coded
 * error from the server, or "unreachable" when there was no answer at all.
 */
import type { RoomSummary, UserRef } from "../protocol/index.ts";

export interface Issued {
  user: UserRef;
  token: string;
  expiresAt: number;
}

export type ApiFailure =
  | { kind: "error"; status: number; code: string; message: string; retryAfter?: number }
  | { kind: "unreachable"; message: string };

export type ApiResult<T> = { ok: true; value: T } | { ok: false; failure: ApiFailure };

export class Api {
  constructor(
    readonly server: string,
    private readonly fetchFn: typeof fetch = globalThis.fetch.bind(globalThis),
  ) {}

  private async call<T>(
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
      res = await this.fetchFn(new URL(path, this.server), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
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
  if (f.kind === "unreachable")
    return `Cannot reach the Parley server at ${server} (${f.message}).`;
  const wait = f.retryAfter !== undefined ? ` Try again in ${f.retryAfter} s.` : "";
  return `${f.message}${wait}`;
}
