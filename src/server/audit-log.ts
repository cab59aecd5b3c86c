/**
 * Reading the audit log: a room's, for its owners (the `audit` right, declared by the command
 * and the route and checked by access.ts). Writing happens in the store, per action.
 */
import type { AuditEntry, Store } from "../../db/store.ts";

/** Rows one read returns at most. */
export const AUDIT_PAGE_MAX = 200;

export async function roomAuditLog(
  store: Store,
  room: number,
  limit = AUDIT_PAGE_MAX,
): Promise<AuditEntry[]> {
  return store.auditLog(room, Math.min(Math.max(1, limit), AUDIT_PAGE_MAX));
}
