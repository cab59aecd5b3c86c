/**
 * Invitations of a user by name (user-invite-store.ts) in the SQLite store: made, listed by the invitee,
 * and answered (accepted: a join, unless banned; declined), each one transaction.
 */
import type { Database } from "bun:sqlite";
import {
  type AuditBy,
  type InviteRedemption,
  inviteJoin,
  storedJoin,
  type UserInvite,
} from "./community-records.ts";
import { type Appender, createAppender } from "./store-sqlite-append.ts";
import type { UserInviteStore } from "./user-invite-store.ts";

type Row = {
  room: number;
  name: string;
  byId: number | null;
  byName: string | null;
  expiresAt: number;
};

export class SqliteUserInvites implements UserInviteStore {
  private readonly q;
  /** The log's append, for an accepted invitation's join inside its transaction. */
  private readonly append: Appender;

  constructor(private readonly db: Database) {
    this.append = createAppender(db);
    this.q = {
      upsert: db.query<never, [number, number, number | null, number, number]>(
        `INSERT INTO room_user_invites (room_id, user_id, invited_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (room_id, user_id) DO UPDATE SET
         invited_by = excluded.invited_by, created_at = excluded.created_at,
         expires_at = excluded.expires_at`,
      ),
      audit: db.query<never, [number, number, string, number, number, string, number]>(
        `INSERT INTO audit_log (room_id, actor_id, actor_name, action, target_id, target_name,
           reason, detail, created_at)
         VALUES (?, ?, ?, 'invite_user', ?, (SELECT name FROM users WHERE id = ?), ?, '', ?)`,
      ),
      list: db.query<Row, [number, number]>(
        `SELECT i.room_id AS room, r.name, i.invited_by AS byId, u.name AS byName,
           i.expires_at AS expiresAt
         FROM room_user_invites i JOIN rooms r ON r.id = i.room_id
         LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.user_id = ? AND i.expires_at > ? ORDER BY i.created_at DESC LIMIT 100`,
      ),
      take: db.query<never, [number, number, number]>(
        "DELETE FROM room_user_invites WHERE room_id = ? AND user_id = ? AND expires_at > ?",
      ),
      banned: db.query<{ one: number }, [number, number, number]>(
        `SELECT 1 AS one FROM room_bans WHERE room_id = ? AND user_id = ?
         AND (expires_at IS NULL OR expires_at > ?)`,
      ),
      join: db.query<never, [number, number, number]>(
        "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ),
    };
  }

  async inviteUser(room: number, userId: number, by: AuditBy, expiresAt: number): Promise<void> {
    this.db
      .transaction(() => {
        const actor = by.actor.id === 0 ? null : by.actor.id;
        this.q.upsert.run(room, userId, actor, by.now, expiresAt);
        this.q.audit.run(room, by.actor.id, by.actor.name, userId, userId, by.reason, by.now);
      })
      .immediate();
  }

  async userInvites(userId: number, now: number): Promise<UserInvite[]> {
    return this.q.list.all(userId, now).map((r) => ({
      room: r.room,
      name: r.name,
      ...(r.byId !== null && r.byName !== null ? { by: { id: r.byId, name: r.byName } } : {}),
      expiresAt: r.expiresAt,
    }));
  }

  async answerUserInvite(
    room: number,
    userId: number,
    accept: boolean,
    now: number,
  ): Promise<InviteRedemption> {
    return this.db
      .transaction((): InviteRedemption => {
        if (this.q.take.run(room, userId, now).changes === 0) {
          return { ok: false, code: "INVITE_NOT_FOUND" };
        }
        if (!accept) return { ok: true, room, joined: false };
        if (this.q.banned.get(room, userId, now) !== null) return { ok: false, code: "BANNED" };
        if (this.q.join.run(room, userId, now).changes === 0)
          return { ok: true, room, joined: false };
        const user = this.db
          .query<{ id: number; name: string }, [number]>("SELECT id, name FROM users WHERE id = ?")
          .get(userId) as { id: number; name: string };
        const event = storedJoin(this.append([inviteJoin(room, user, now)])[0]);
        return { ok: true, room, joined: true, event };
      })
      .immediate();
  }
}
