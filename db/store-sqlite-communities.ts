/**
 * The SQLite store's communities (community-store.ts): roles and mutes, bans, invite codes, the
 * audit log and reports.
 * Every moderation action, its audit row and its room event commit in one transaction, so
 * neither the audit log nor the room's timeline misses an action that happened, nor records one
 * that did not.
 */
import type { Database } from "bun:sqlite";
import type { UserRef } from "../src/protocol/index.ts";
import { actDetail, actTarget, inviteJoin, storedJoin } from "./community-records.ts";
import {
  type AuditRow,
  type InviteRow,
  type ReportRow,
  toAuditEntry,
  toInvite,
  toReport,
} from "./community-rows.ts";
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
  RoomStanding,
} from "./store.ts";
import { type Appender, createAppender } from "./store-sqlite-append.ts";

/** Thrown inside a transaction to roll it back with the refusal it answers. */
class Undone {
  constructor(readonly result: AppendResult) {}
}

const INVITE_COLUMNS = `id, room_id AS room, created_by AS createdBy, created_at AS createdAt,
  expires_at AS expiresAt, max_uses AS maxUses, uses, revoked_at AS revokedAt`;

export class SqliteCommunities implements CommunityStore {
  private readonly q;

  /** The log's append, for an invitation's join inside its transaction. */
  private readonly append: Appender;

  constructor(private readonly db: Database) {
    this.append = createAppender(db);
    const s = db.query.bind(db);
    this.q = {
      makeOwner: s<never, [number, number]>(
        "UPDATE members SET role = 'owner' WHERE room_id = ? AND user_id = ?",
      ),
      standing: s<RoomStanding, [number, number]>(
        "SELECT role, muted_until AS mutedUntil FROM members WHERE room_id = ? AND user_id = ?",
      ),
      standings: s<RoomStanding & { id: number }, [number]>(
        "SELECT user_id AS id, role, muted_until AS mutedUntil FROM members WHERE room_id = ?",
      ),
      banned: s<{ one: number }, [number, number, number]>(
        `SELECT 1 AS one FROM room_bans WHERE room_id = ? AND user_id = ?
         AND (expires_at IS NULL OR expires_at > ?)`,
      ),
      userName: s<{ name: string }, [number]>("SELECT name FROM users WHERE id = ?"),
      kick: s<never, [number, number]>("DELETE FROM members WHERE room_id = ? AND user_id = ?"),
      ban: s<never, [number, number, number, number | null]>(
        `INSERT INTO room_bans (room_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (room_id, user_id) DO UPDATE SET created_at = excluded.created_at,
           expires_at = excluded.expires_at`,
      ),
      unban: s<never, [number, number, number]>(
        `DELETE FROM room_bans WHERE room_id = ? AND user_id = ?
         AND (expires_at IS NULL OR expires_at > ?)`,
      ),
      mute: s<never, [number, number, number]>(
        "UPDATE members SET muted_until = ? WHERE room_id = ? AND user_id = ?",
      ),
      unmute: s<never, [number, number, number]>(
        "UPDATE members SET muted_until = 0 WHERE room_id = ? AND user_id = ? AND muted_until > ?",
      ),
      role: s<never, [string, number, number, string]>(
        `UPDATE members SET role = ? WHERE room_id = ? AND user_id = ?
         AND role <> 'owner' AND role <> ?`,
      ),
      topic: s<never, [string, number]>(
        "UPDATE rooms SET topic = ? WHERE id = ? AND kind = 'room'",
      ),
      deleteRoom: s<never, [number]>("DELETE FROM rooms WHERE id = ? AND kind = 'room'"),
      rename: s<never, [string, string, number, string]>(
        "UPDATE rooms SET name = ?, name_key = ? WHERE id = ? AND kind = 'room' AND name <> ?",
      ),
      archive: s<never, [number, number]>(
        "UPDATE rooms SET archived_at = ? WHERE id = ? AND kind = 'room' AND archived_at IS NULL",
      ),
      audit: s<
        never,
        [number | null, number, string, string, number | null, string, string, string, number]
      >(
        `INSERT INTO audit_log (room_id, actor_id, actor_name, action, target_id, target_name,
           reason, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      auditRoom: s<AuditRow, [number, number]>(
        `SELECT id, room_id AS room, actor_id AS actorId, actor_name AS actorName, action,
           target_id AS targetId, target_name AS targetName, reason, detail, created_at AS at
         FROM audit_log WHERE room_id = ? ORDER BY id DESC LIMIT ?`,
      ),
      auditAll: s<AuditRow, [number]>(
        `SELECT id, room_id AS room, actor_id AS actorId, actor_name AS actorName, action,
           target_id AS targetId, target_name AS targetName, reason, detail, created_at AS at
         FROM audit_log ORDER BY id DESC LIMIT ?`,
      ),
      insertInvite: s<{ id: number }, [number, string, number, number, number, number]>(
        `INSERT INTO room_invites (room_id, code_hash, created_by, created_at, expires_at, max_uses)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
      ),
      liveInvite: s<{ id: number; room: number }, [string, number]>(
        `SELECT id, room_id AS room FROM room_invites WHERE code_hash = ? AND revoked_at IS NULL
         AND expires_at > ? AND uses < max_uses`,
      ),
      spendInvite: s<never, [number]>("UPDATE room_invites SET uses = uses + 1 WHERE id = ?"),
      join: s<never, [number, number, number]>(
        "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      invites: s<InviteRow, [number]>(
        `SELECT ${INVITE_COLUMNS} FROM room_invites WHERE room_id = ? ORDER BY id DESC`,
      ),
      revokeInvite: s<never, [number, number, number]>(
        "UPDATE room_invites SET revoked_at = ? WHERE id = ? AND room_id = ? AND revoked_at IS NULL",
      ),
    };
  }

  async standing(roomId: number, userId: number): Promise<RoomStanding | undefined> {
    return this.q.standing.get(roomId, userId) ?? undefined;
  }

  async standings(roomId: number): Promise<Map<number, RoomStanding>> {
    return new Map(
      this.q.standings.all(roomId).map((r) => [r.id, { role: r.role, mutedUntil: r.mutedUntil }]),
    );
  }

  async isBanned(roomId: number, userId: number, now: number): Promise<boolean> {
    return this.q.banned.get(roomId, userId, now) !== null;
  }

  async moderate(rec: ModerationRecord): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (!this.#apply(rec)) return false;
        this.#auditAct(rec);
        return true;
      })
      .immediate();
  }

  async moderateWithEvent(rec: ModerationRecord, event: AppendRequest) {
    try {
      return this.db
        .transaction((): LoggedModeration => {
          if (!this.#apply(rec)) return "unchanged";
          const [result] = this.append([event]);
          if (!result?.ok) throw new Undone(result ?? { ok: false, code: "ROOM_NOT_FOUND" });
          this.#auditAct(rec);
          return result;
        })
        .immediate();
    } catch (err) {
      if (err instanceof Undone) return err.result;
      throw err;
    }
  }

  #auditAct({ room, actor, act, reason, now }: ModerationRecord): void {
    this.#audit(room, actor, act.action, actTarget(act), reason, actDetail(act), now);
  }

  #apply({ room, actor, act, now }: ModerationRecord): boolean {
    const q = this.q;
    switch (act.action) {
      case "kick":
        return q.kick.run(room, act.target).changes > 0;
      case "ban":
        q.kick.run(room, act.target);
        q.ban.run(room, act.target, now, act.until);
        return true;
      case "unban":
        return q.unban.run(room, act.target, now).changes > 0;
      case "mute":
        return q.mute.run(act.until, room, act.target).changes > 0;
      case "unmute":
        return q.unmute.run(room, act.target, now).changes > 0;
      case "role":
        return q.role.run(act.role, room, act.target, act.role).changes > 0;
      case "transfer": {
        if (q.standing.get(room, act.target) === null) return false;
        q.makeOwner.run(room, act.target);
        this.db.run("UPDATE members SET role = 'moderator' WHERE room_id = ? AND user_id = ?", [
          room,
          actor.id,
        ]);
        return true;
      }
      case "topic":
        return q.topic.run(act.topic, room).changes > 0;
      case "delete_room":
        return q.deleteRoom.run(room).changes > 0;
      case "rename":
        return q.rename.run(act.name, act.key, room, act.name).changes > 0;
      case "archive":
        return q.archive.run(now, room).changes > 0;
    }
  }

  #audit(
    room: number | null,
    actor: UserRef,
    action: string,
    target: number | undefined,
    reason: string,
    detail: string,
    now: number,
  ): void {
    const targetName = target === undefined ? "" : (this.q.userName.get(target)?.name ?? "");
    this.q.audit.run(
      room,
      actor.id,
      actor.name,
      action,
      target ?? null,
      targetName,
      reason,
      detail,
      now,
    );
  }

  async createInvite(inv: NewInvite): Promise<number> {
    return this.db
      .transaction(() => {
        const row = this.q.insertInvite.get(
          inv.room,
          inv.codeHash,
          inv.by.id,
          inv.now,
          inv.expiresAt,
          inv.maxUses,
        ) as { id: number };
        const detail = JSON.stringify({
          invite: row.id,
          expiresAt: inv.expiresAt,
          maxUses: inv.maxUses,
        });
        this.#audit(inv.room, inv.by, "invite_create", undefined, "", detail, inv.now);
        return row.id;
      })
      .immediate();
  }

  async redeemInvite(codeHash: string, user: UserRef, now: number): Promise<InviteRedemption> {
    return this.db
      .transaction((): InviteRedemption => {
        const invite = this.q.liveInvite.get(codeHash, now);
        if (!invite) return { ok: false, code: "INVITE_NOT_FOUND" };
        if (this.q.banned.get(invite.room, user.id, now) !== null)
          return { ok: false, code: "BANNED" };
        if (this.q.join.run(invite.room, user.id, now).changes === 0) {
          return { ok: true, room: invite.room, joined: false };
        }
        this.q.spendInvite.run(invite.id);
        const event = storedJoin(this.append([inviteJoin(invite.room, user, now)])[0]);
        return { ok: true, room: invite.room, joined: true, event };
      })
      .immediate();
  }

  async invites(roomId: number): Promise<InviteRecord[]> {
    return this.q.invites.all(roomId).map(toInvite);
  }

  async revokeInvite(roomId: number, inviteId: number, actor: UserRef, now: number) {
    return this.db
      .transaction(() => {
        if (this.q.revokeInvite.run(now, inviteId, roomId).changes === 0) return false;
        this.#audit(
          roomId,
          actor,
          "invite_revoke",
          undefined,
          "",
          JSON.stringify({ invite: inviteId }),
          now,
        );
        return true;
      })
      .immediate();
  }

  async auditLog(roomId: number | undefined, limit: number): Promise<AuditEntry[]> {
    const rows =
      roomId === undefined ? this.q.auditAll.all(limit) : this.q.auditRoom.all(roomId, limit);
    return rows.map(toAuditEntry);
  }

  async createReport(room: number, seq: number, reporter: UserRef, reason: string, now: number) {
    const row = this.db
      .query<{ id: number }, [number, number, number, string, number]>(
        `INSERT INTO reports (room_id, seq, reporter_id, reason, created_at) VALUES (?, ?, ?, ?, ?)
         RETURNING id`,
      )
      .get(room, seq, reporter.id, reason, now) as { id: number };
    return row.id;
  }

  async reports(roomId: number | undefined, open: boolean, limit: number) {
    const rows = this.db
      .query<ReportRow, [number | null, number | null, number, number]>(
        `SELECT r.id, r.room_id AS room, r.seq, r.reporter_id AS reporterId, u.name AS reporterName,
           r.reason, r.created_at AS createdAt, r.resolved_by AS resolvedBy,
           r.resolved_at AS resolvedAt, r.outcome
         FROM reports r LEFT JOIN users u ON u.id = r.reporter_id
         WHERE (?1 IS NULL OR r.room_id = ?2) AND (?3 = 0 OR r.resolved_at IS NULL)
         ORDER BY r.id DESC LIMIT ?4`,
      )
      .all(roomId ?? null, roomId ?? null, open ? 1 : 0, limit);
    return rows.map(toReport);
  }

  async resolveReport(roomId: number, reportId: number, outcome: string, by: AuditBy) {
    return this.db
      .transaction(() => {
        const done = this.db.run(
          `UPDATE reports SET resolved_by = ?, resolved_at = ?, outcome = ?
           WHERE id = ? AND room_id = ? AND resolved_at IS NULL`,
          [by.actor.id, by.now, outcome, reportId, roomId],
        ).changes;
        if (done === 0) return false;
        const detail = JSON.stringify({ report: reportId, outcome });
        this.#audit(roomId, by.actor, "report_resolve", undefined, by.reason, detail, by.now);
        return true;
      })
      .immediate();
  }
}
