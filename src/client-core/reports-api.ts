/**
 * Reports over HTTP (docs/protocol.md, Reports), for both clients: any member reports a message
 * to the room's moderators with a reason; moderators list the open ones and resolve each with
 * what was done. Refusals come back as RequestErrors carrying the server's code and message.
 */
import { RequestError } from "./request-error.ts";

/** A report as GET /api/rooms/:id/reports lists it. */
export interface ReportView {
  id: number;
  room: number;
  seq: number;
  reporter?: { id: number; name: string };
  reason: string;
  createdAt: number;
  resolvedBy?: number;
  resolvedAt?: number;
  outcome: string;
}

export interface ReportsApiOptions {
  server: () => string;
  token: string;
  fetch?: typeof fetch;
}

export class ReportsApi {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly o: ReportsApiOptions) {
    this.fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Reports message `seq` of `room`; resolves with the report's id. */
  async report(room: number, seq: number, reason: string): Promise<number> {
    const r = await this.call<{ report: number }>("POST", `/api/rooms/${room}/reports`, {
      seq,
      reason,
    });
    return r.report;
  }

  /** The room's open reports (with `all`, the resolved ones too); moderators only. */
  async list(room: number, all = false): Promise<ReportView[]> {
    const path = `/api/rooms/${room}/reports${all ? "?all=1" : ""}`;
    return (await this.call<{ reports: ReportView[] }>("GET", path)).reports;
  }

  /** Resolves an open report, saying what was done (audited). */
  async resolve(room: number, report: number, outcome: string): Promise<void> {
    await this.call("POST", `/api/rooms/${room}/reports/${report}/resolve`, { outcome });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(new URL(path, this.o.server()), {
        method,
        headers: {
          authorization: `Bearer ${this.o.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new RequestError(
        "OFFLINE",
        `The server cannot be reached (${(err as Error).message}).`,
      );
    }
    const text = await res.text().catch(() => "");
    let value: Record<string, unknown> = {};
    try {
      value = text ? JSON.parse(text) : {};
    } catch {
      value = {};
    }
    if (!res.ok) {
      const message = typeof value.message === "string" ? value.message : undefined;
      const code = typeof value.code === "string" ? value.code : "INTERNAL";
      throw new RequestError(code, message ?? `The server answered ${res.status}.`);
    }
    return value as T;
  }
}
