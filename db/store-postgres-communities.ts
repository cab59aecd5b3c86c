/**
 * The PostgreSQL store's communities part, as store-sqlite-communities.ts: roles and mutes,
 * bans, invite codes and the audit log. Each moderation action, its audit row and its room event
 * commit in one transaction; the room's row is locked first, so two moderators' actions on it
 * queue.
 */
import type { SQL } from "bun";
import type { UserRef } from "../src/protocol/index.ts";
import { actDetail, actTarget, inviteJoin, storedJoin } from "./community-records.ts";
import { type ReportRow, toAuditEntry, toInvite, toReport } from "./community-rows.ts";
import type { CommunityStore, LoggedModeration } from "./community-store.ts";
import type {
  AppendRequest,
  AppendResult,
  AuditBy,
  AuditEntry,
  InviteRecord,
  InviteRedemption,
  ModerationRecord,
  NewInvite,
  RoomRole,
  RoomStanding,
} from "./store.ts";
import { appendIn, isLostRace } from "./store-postgres-append.ts";
import type { Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

const AUDIT_COLUMNS = `id, room_id AS room, actor_id AS "actorId", actor_name AS "actorName", action,
  target_id AS "targetId", target_name AS "targetName", reason, detail, created_at AS at`;
const INVITE_COLUMNS = `id, room_id AS room, created_by AS "createdBy", created_at AS "createdAt",
  expires_at AS "expiresAt", max_uses AS "maxUses", uses, revoked_at AS "revokedAt"`;

async function audit(
  tx: SQL,
  room: number | null,
  actor: UserRef,
  action: string,
  target: number | undefined,
  reason: string,
  detail: string,
  now: number,
): Promise<void> {
  await tx`
    INSERT INTO audit_log (room_id, actor_id, actor_name, action, target_id, target_name, reason,
      detail, created_at)
    VALUES (${room}, ${actor.id}, ${actor.name}, ${action}, ${target ?? null},
      coalesce((SELECT name FROM users WHERE id = ${target ?? null}), ''), ${reason}, ${detail},
      ${now})`;
}

/** A logged action's transaction is rerun this often after a lost race (a deadlock). */
const MODERATION_ATTEMPTS = 5;

/** Thrown inside a transaction to roll it back with the refusal it answers. */
class Undone {
  constructor(readonly result: AppendResult) {}
}

function auditAct(tx: SQL, { room, actor, act, reason, now }: ModerationRecord): Promise<void> {
  return audit(tx, room, actor, act.action, actTarget(act), reason, actDetail(act), now);
}

export class PostgresCommunities implements CommunityStore {
  constructor(private readonly run: Run) {}

  async standing(roomId: number, userId: number): Promise<RoomStanding | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`
        SELECT role, muted_until FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`,
    );
    return row ? { role: row.role as RoomRole, mutedUntil: Number(row.muted_until) } : undefined;
  }

  async standings(roomId: number): Promise<Map<number, RoomStanding>> {
    const rows = await this.run(
      ({ sql }) => sql`SELECT user_id, role, muted_until FROM members WHERE room_id = ${roomId}`,
    );
    return new Map(
      (rows as { user_id: Int; role: RoomRole; muted_until: Int }[]).map((r) => [
        Number(r.user_id),
        { role: r.role, mutedUntil: Number(r.muted_until) },
      ]),
    );
  }

  async isBanned(roomId: number, userId: number, now: number): Promise<boolean> {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT 1 FROM room_bans WHERE room_id = ${roomId} AND user_id = ${userId}
        AND (expires_at IS NULL OR expires_at > ${now})`,
    );
    return rows.length > 0;
  }

  moderate(rec: ModerationRecord): Promise<boolean> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const locked = await tx`SELECT id FROM rooms WHERE id = ${rec.room} FOR UPDATE`;
        if (locked.length === 0) return false;
        if (!(await apply(tx, rec))) return false;
        await auditAct(tx, rec);
        return true;
      }),
    );
  }

  async moderateWithEvent(rec: ModerationRecord, event: AppendRequest) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run((pool) =>
          pool.sql.begin(async (tx): Promise<LoggedModeration> => {
            // The room's row first, as every append takes it: the action, its event and the
            // other nodes' sends to the room queue here, so the event's seq follows the action.
            const locked = await tx`SELECT id FROM rooms WHERE id = ${rec.room} FOR UPDATE`;
            if (locked.length === 0 || !(await apply(tx, rec))) return "unchanged";
            const [result] = await appendIn(tx, pool, [event]);
            if (!result?.ok) throw new Undone(result ?? { ok: false, code: "ROOM_NOT_FOUND" });
            await auditAct(tx, rec);
            return result;
          }),
        );
      } catch (err) {
        if (err instanceof Undone) return err.result;
        if (attempt < MODERATION_ATTEMPTS && isLostRace(err)) continue;
        throw err;
      }
    }
  }

  createInvite(inv: NewInvite): Promise<number> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const [row] = await tx`
          INSERT INTO room_invites (room_id, code_hash, created_by, created_at, expires_at, max_uses)
          VALUES (${inv.room}, ${inv.codeHash}, ${inv.by.id}, ${inv.now}, ${inv.expiresAt},
            ${inv.maxUses})
          RETURNING id`;
        const id = Number(row.id);
        const detail = JSON.stringify({
          invite: id,
          expiresAt: inv.expiresAt,
          maxUses: inv.maxUses,
        });
        await audit(tx, inv.room, inv.by, "invite_create", undefined, "", detail, inv.now);
        return id;
      }),
    );
  }

  redeemInvite(codeHash: string, user: UserRef, now: number): Promise<InviteRedemption> {
    return this.run((pool) =>
      pool.sql.begin(async (tx): Promise<InviteRedemption> => {
        // Locked, so two redemptions of the last use cannot both pass the check.
        const [invite] = await tx`
          SELECT id, room_id FROM room_invites WHERE code_hash = ${codeHash}
          AND revoked_at IS NULL AND expires_at > ${now} AND uses < max_uses FOR UPDATE`;
        if (!invite) return { ok: false, code: "INVITE_NOT_FOUND" };
        const room = Number(invite.room_id);
        const banned = await tx`
          SELECT 1 FROM room_bans WHERE room_id = ${room} AND user_id = ${user.id}
          AND (expires_at IS NULL OR expires_at > ${now})`;
        if (banned.length > 0) return { ok: false, code: "BANNED" };
        const inserted = await tx`
          INSERT INTO members (room_id, user_id, joined_at) VALUES (${room}, ${user.id}, ${now})
          ON CONFLICT DO NOTHING`;
        if ((inserted.count as number) === 0) return { ok: true, room, joined: false };
        await tx`UPDATE room_invites SET uses = uses + 1 WHERE id = ${invite.id}`;
        const event = storedJoin((await appendIn(tx, pool, [inviteJoin(room, user, now)]))[0]);
        return { ok: true, room, joined: true, event };
      }),
    );
  }

  async invites(roomId: number): Promise<InviteRecord[]> {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT ${sql.unsafe(INVITE_COLUMNS)} FROM room_invites WHERE room_id = ${roomId}
        ORDER BY id DESC`,
    );
    return (rows as Parameters<typeof toInvite>[0][]).map(toInvite);
  }

  revokeInvite(roomId: number, inviteId: number, actor: UserRef, now: number): Promise<boolean> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const res = await tx`
          UPDATE room_invites SET revoked_at = ${now}
          WHERE id = ${inviteId} AND room_id = ${roomId} AND revoked_at IS NULL`;
        if ((res.count as number) === 0) return false;
        const detail = JSON.stringify({ invite: inviteId });
        await audit(tx, roomId, actor, "invite_revoke", undefined, "", detail, now);
        return true;
      }),
    );
  }

  async auditLog(roomId: number | undefined, limit: number): Promise<AuditEntry[]> {
    const rows = await this.run(({ sql }) =>
      roomId === undefined
        ? sql`SELECT ${sql.unsafe(AUDIT_COLUMNS)} FROM audit_log ORDER BY id DESC LIMIT ${limit}`
        : sql`SELECT ${sql.unsafe(AUDIT_COLUMNS)} FROM audit_log WHERE room_id = ${roomId}
              ORDER BY id DESC LIMIT ${limit}`,
    );
    return (rows as Parameters<typeof toAuditEntry>[0][]).map(toAuditEntry);
  }
  async createReport(room: number, seq: number, reporter: UserRef, reason: string, now: number) {
    const [row] = await this.run(
      ({ sql }) => sql`
        INSERT INTO reports (room_id, seq, reporter_id, reason, created_at)
        VALUES (${room}, ${seq}, ${reporter.id}, ${reason}, ${now}) RETURNING id`,
    );
    return Number(row.id);
  }

  async reports(roomId: number | undefined, open: boolean, limit: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT r.id, r.room_id AS room, r.seq, r.reporter_id AS "reporterId",
          u.name AS "reporterName", r.reason, r.created_at AS "createdAt",
          r.resolved_by AS "resolvedBy", r.resolved_at AS "resolvedAt", r.outcome
        FROM reports r LEFT JOIN users u ON u.id = r.reporter_id
        WHERE (${roomId ?? null}::bigint IS NULL OR r.room_id = ${roomId ?? null})
          AND (NOT ${open} OR r.resolved_at IS NULL)
        ORDER BY r.id DESC LIMIT ${limit}`,
    );
    return (rows as ReportRow[]).map(toReport);
  }

  resolveReport(roomId: number, reportId: number, outcome: string, by: AuditBy) {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const res = await tx`
          UPDATE reports SET resolved_by = ${by.actor.id}, resolved_at = ${by.now},
            outcome = ${outcome}
          WHERE id = ${reportId} AND room_id = ${roomId} AND resolved_at IS NULL`;
        if ((res.count as number) === 0) return false;
        const detail = JSON.stringify({ report: reportId, outcome });
        await audit(tx, roomId, by.actor, "report_resolve", undefined, by.reason, detail, by.now);
        return true;
      }),
    );
  }
}

/** Makes the action so; false when it changed nothing. */
async function apply(tx: SQL, { room, actor, act, now }: ModerationRecord): Promise<boolean> {
  const changed = (res: { count: unknown }) => (res.count as number) > 0;
  switch (act.action) {
    case "kick":
      return changed(
        await tx`DELETE FROM members WHERE room_id = ${room} AND user_id = ${act.target}`,
      );
    case "ban":
      await tx`DELETE FROM members WHERE room_id = ${room} AND user_id = ${act.target}`;
      await tx`
        INSERT INTO room_bans (room_id, user_id, created_at, expires_at)
        VALUES (${room}, ${act.target}, ${now}, ${act.until})
        ON CONFLICT (room_id, user_id) DO UPDATE SET created_at = excluded.created_at,
          expires_at = excluded.expires_at`;
      return true;
    case "unban":
      return changed(
        await tx`DELETE FROM room_bans WHERE room_id = ${room} AND user_id = ${act.target}
                 AND (expires_at IS NULL OR expires_at > ${now})`,
      );
    case "mute":
      return changed(
        await tx`UPDATE members SET muted_until = ${act.until}
                 WHERE room_id = ${room} AND user_id = ${act.target}`,
      );
    case "unmute":
      return changed(
        await tx`UPDATE members SET muted_until = 0
                 WHERE room_id = ${room} AND user_id = ${act.target} AND muted_until > ${now}`,
      );
    case "role":
      return changed(
        await tx`UPDATE members SET role = ${act.role} WHERE room_id = ${room}
                 AND user_id = ${act.target} AND role <> 'owner' AND role <> ${act.role}`,
      );
    case "transfer": {
      const made = await tx`UPDATE members SET role = 'owner'
                            WHERE room_id = ${room} AND user_id = ${act.target}`;
      if (!changed(made)) return false;
      await tx`UPDATE members SET role = 'moderator' WHERE room_id = ${room} AND user_id = ${actor.id}`;
      return true;
    }
    case "topic":
      return changed(
        await tx`UPDATE rooms SET topic = ${act.topic} WHERE id = ${room} AND kind = 'room'`,
      );
    case "delete_room":
      return changed(await tx`DELETE FROM rooms WHERE id = ${room} AND kind = 'room'`);
    case "rename":
      return changed(
        await tx`UPDATE rooms SET name = ${act.name}, name_key = ${act.key}
          WHERE id = ${room} AND kind = 'room' AND name <> ${act.name}`,
      );
    case "archive":
      return changed(
        await tx`UPDATE rooms SET archived_at = ${now}
          WHERE id = ${room} AND kind = 'room' AND archived_at IS NULL`,
      );
  }
}
