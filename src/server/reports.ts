/**
 * Reports: any member reports a message to the room's moderators and the server's admins, with
 * a reason; moderators see the open ones and resolve each with what was done (audited).
 */
import type { ReportRecord, Store } from "../../db/store.ts";
import { ParleyError, type UserRef } from "../protocol/index.ts";

export const REPORT_REASON_MAX = 500;
export const REPORTS_PAGE_MAX = 200;

export interface ReportsOptions {
  store: Store;
  now: () => number;
  /** Throws ROOM_NOT_FOUND or NOT_MEMBER unless the user may read the room (Chat). */
  /** Throws NOT_ADMIN unless the user is a server admin (Admin). */
  requireAdmin: (user: UserRef) => Promise<void>;
}

function text(value: string, what: string): string {
  const t = value.trim();
  if (t.length < 1 || t.length > REPORT_REASON_MAX || !t.isWellFormed() || t.includes("\u0000")) {
    throw new ParleyError("INVALID", `${what}: 1 to ${REPORT_REASON_MAX} characters of text`);
  }
  return t;
}

export class Reports {
  constructor(private readonly o: ReportsOptions) {}

  async report(user: UserRef, room: number, seq: number, reason: string): Promise<number> {
    const why = text(reason, "reason");
    if (!(await this.o.store.findMessage(room, seq))) throw new ParleyError("MESSAGE_NOT_FOUND");
    return this.o.store.createReport(room, seq, user, why, this.o.now());
  }

  async list(room: number, open: boolean): Promise<ReportRecord[]> {
    return this.o.store.reports(room, open, REPORTS_PAGE_MAX);
  }

  async resolve(actor: UserRef, room: number, report: number, outcome: string): Promise<void> {
    const done = text(outcome, "outcome");
    const by = { actor, reason: "", now: this.o.now() };
    if (!(await this.o.store.resolveReport(room, report, done, by))) {
      throw new ParleyError("REPORT_NOT_FOUND");
    }
  }

  /** Every room's open reports, for the server's admins. */
  async all(actor: UserRef): Promise<ReportRecord[]> {
    await this.o.requireAdmin(actor);
    return this.o.store.reports(undefined, true, REPORTS_PAGE_MAX);
  }
}
