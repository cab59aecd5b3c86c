/**
 * The rows of communities (audit log, invites, reports) as both stores select them, and their
 * mapping to community-records.ts: the stores alias the same column names, so one mapping serves
 * both.
 */
import type { AuditEntry, InviteRecord, ReportRecord } from "./community-records.ts";

export interface AuditRow {
  id: number;
  room: number | null;
  actorId: number | null;
  actorName: string;
  action: string;
  targetId: number | null;
  targetName: string;
  reason: string;
  detail: string;
  at: number;
}

export interface InviteRow {
  id: number;
  room: number;
  createdBy: number | null;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  uses: number;
  revokedAt: number | null;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  const entry: AuditEntry = {
    id: Number(row.id),
    actor: { id: Number(row.actorId ?? 0), name: row.actorName },
    action: row.action,
    reason: row.reason,
    detail: row.detail,
    at: Number(row.at),
  };
  if (row.room !== null) entry.room = Number(row.room);
  if (row.targetId !== null) entry.target = { id: Number(row.targetId), name: row.targetName };
  return entry;
}

export function toInvite(row: InviteRow): InviteRecord {
  const invite: InviteRecord = {
    id: Number(row.id),
    room: Number(row.room),
    createdBy: row.createdBy === null ? null : Number(row.createdBy),
    createdAt: Number(row.createdAt),
    expiresAt: Number(row.expiresAt),
    maxUses: Number(row.maxUses),
    uses: Number(row.uses),
  };
  if (row.revokedAt !== null) invite.revokedAt = Number(row.revokedAt);
  return invite;
}

export interface ReportRow {
  id: number;
  room: number;
  seq: number;
  reporterId: number | null;
  reporterName: string | null;
  reason: string;
  createdAt: number;
  resolvedBy: number | null;
  resolvedAt: number | null;
  outcome: string;
}

export function toReport(r: ReportRow): ReportRecord {
  const report: ReportRecord = {
    id: Number(r.id),
    room: Number(r.room),
    seq: Number(r.seq),
    reason: r.reason,
    createdAt: Number(r.createdAt),
    outcome: r.outcome,
  };
  if (r.reporterId !== null && r.reporterName !== null) {
    report.reporter = { id: Number(r.reporterId), name: r.reporterName };
  }
  if (r.resolvedBy !== null) report.resolvedBy = Number(r.resolvedBy);
  if (r.resolvedAt !== null) report.resolvedAt = Number(r.resolvedAt);
  return report;
}
