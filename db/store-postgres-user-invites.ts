/**
 * Invitations of a user by name (issue 13) in the PostgreSQL store: the same operations as
 * store-sqlite-user-invites.ts, each one transaction.
 */
import {
  type AuditBy,
  type InviteRedemption,
  inviteJoin,
  storedJoin,
  type UserInvite,
} from "./community-records.ts";
import { appendIn } from "./store-postgres-append.ts";
import type { Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";
import type { UserInviteStore } from "./user-invite-store.ts";

export class PostgresUserInvites implements UserInviteStore {
  constructor(private readonly run: Run) {}

  inviteUser(room: number, userId: number, by: AuditBy, expiresAt: number): Promise<void> {
    const actor = by.actor.id === 0 ? null : by.actor.id;
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        await tx`
          INSERT INTO room_user_invites (room_id, user_id, invited_by, created_at, expires_at)
          VALUES (${room}, ${userId}, ${actor}, ${by.now}, ${expiresAt})
          ON CONFLICT (room_id, user_id) DO UPDATE SET invited_by = excluded.invited_by,
            created_at = excluded.created_at, expires_at = excluded.expires_at`;
        await tx`
          INSERT INTO audit_log (room_id, actor_id, actor_name, action, target_id, target_name,
            reason, detail, created_at)
          VALUES (${room}, ${by.actor.id}, ${by.actor.name}, 'invite_user', ${userId},
            (SELECT name FROM users WHERE id = ${userId}), ${by.reason}, '', ${by.now})`;
      }),
    );
  }

  async userInvites(userId: number, now: number): Promise<UserInvite[]> {
    const rows = (await this.run(
      ({ sql }) => sql`
        SELECT i.room_id, r.name, i.invited_by, u.name AS by_name, i.expires_at
        FROM room_user_invites i JOIN rooms r ON r.id = i.room_id
        LEFT JOIN users u ON u.id = i.invited_by
        WHERE i.user_id = ${userId} AND i.expires_at > ${now}
        ORDER BY i.created_at DESC LIMIT 100`,
    )) as {
      room_id: Int;
      name: string;
      invited_by: Int | null;
      by_name: string | null;
      expires_at: Int;
    }[];
    return rows.map((r) => ({
      room: Number(r.room_id),
      name: r.name,
      ...(r.invited_by !== null && r.by_name !== null
        ? { by: { id: Number(r.invited_by), name: r.by_name } }
        : {}),
      expiresAt: Number(r.expires_at),
    }));
  }

  answerUserInvite(
    room: number,
    userId: number,
    accept: boolean,
    now: number,
  ): Promise<InviteRedemption> {
    return this.run((pool) =>
      pool.sql.begin(async (tx): Promise<InviteRedemption> => {
        const taken = await tx`
          DELETE FROM room_user_invites
          WHERE room_id = ${room} AND user_id = ${userId} AND expires_at > ${now}`;
        if ((taken.count as number) === 0) return { ok: false, code: "INVITE_NOT_FOUND" };
        if (!accept) return { ok: true, room, joined: false };
        const banned = await tx`
          SELECT 1 FROM room_bans WHERE room_id = ${room} AND user_id = ${userId}
          AND (expires_at IS NULL OR expires_at > ${now})`;
        if (banned.length > 0) return { ok: false, code: "BANNED" };
        const inserted = await tx`
          INSERT INTO members (room_id, user_id, joined_at) VALUES (${room}, ${userId}, ${now})
          ON CONFLICT DO NOTHING`;
        if ((inserted.count as number) === 0) return { ok: true, room, joined: false };
        const [user] = await tx`SELECT id, name FROM users WHERE id = ${userId}`;
        const joiner = { id: userId, name: user?.name as string };
        const event = storedJoin((await appendIn(tx, pool, [inviteJoin(room, joiner, now)]))[0]);
        return { ok: true, room, joined: true, event };
      }),
    );
  }
}
