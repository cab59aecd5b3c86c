/** Reading the audit log: a room's, for its owners. (Writing happens in the store, per action.) */
import type { AuditEntry, Store } from "../../db/store.ts";
import type { UserRef } from "../protocol/index.ts";
import { requireRight } from "./roles.ts";

/** Rows one read returns at most. */
export const AUDIT_PAGE_MAX = 200;

export async function roomAuditLog(
  store: Store,
  actor: UserRef,
  room: number,
  limit = AUDIT_PAGE_MAX,
): Promise<AuditEntry[]> {
  await requireRight(store, actor, room, "audit");
  return store.auditLog(room, Math.min(Math.max(1, limit), AUDIT_PAGE_MAX));
}
