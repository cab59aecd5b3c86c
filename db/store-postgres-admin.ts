/**
 * The PostgreSQL store's server administration (admin-store.ts), as store-sqlite-admin.ts: admins, disabled and
 * deleted accounts, settings and registration invites, each audited in the same transaction.
 */
import type { SQL } from "bun";
import type { UserRef } from "../src/protocol/index.ts";
import { nameKey } from "../src/protocol/index.ts";
import {
  archivedByDeparture,
  departureEvents,
  LAST_MEMBER_LEFT,
  type LeftRoom,
  needsSuccessor,
  OWNER_DELETED,
  SUCCESSION_ORDER,
  successionDetail,
} from "./account-departure.ts";
import type { AdminStore } from "./admin-store.ts";
import type { AccountRecord, AuditBy, UserRecord } from "./store.ts";
import { appendIn } from "./store-postgres-append.ts";
import type { Pool, Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

async function writeAudit(
  tx: SQL,
  room: number | null,
  action: string,
  target: number | null,
  by: AuditBy,
  detail = "",
): Promise<void> {
  await tx`
    INSERT INTO audit_log (room_id, actor_id, actor_name, action, target_id, target_name, reason,
      detail, created_at)
    VALUES (${room}, ${by.actor.id}, ${by.actor.name}, ${action}, ${target},
      coalesce((SELECT name FROM users WHERE id = ${target}), ''), ${by.reason}, ${detail},
      ${by.now})`;
}

/** The deleted account's going from each of its rooms (account-departure.ts). */
async function leaveRooms(tx: SQL, pool: Pool, user: UserRef, by: AuditBy): Promise<void> {
  // Its rooms locked first, in id order as appends lock them; the counts, read after (a new
  // snapshot under READ COMMITTED), then hold until the commit: a join waits for the lock.
  await tx`
    SELECT r.id FROM members m JOIN rooms r ON r.id = m.room_id
    WHERE m.user_id = ${user.id} AND r.kind = 'room' ORDER BY r.id FOR NO KEY UPDATE OF r`;
  const rows = (await tx`
    SELECT r.id AS room, m.role, r.visibility, r.archived_at IS NOT NULL AS archived,
      (SELECT count(*) FROM members o WHERE o.room_id = r.id AND o.user_id <> m.user_id) AS others,
      (SELECT count(*) FROM members o WHERE o.room_id = r.id AND o.user_id <> m.user_id
         AND o.role = 'owner') AS owners
    FROM members m JOIN rooms r ON r.id = m.room_id
    WHERE m.user_id = ${user.id} AND r.kind = 'room'
      AND NOT EXISTS (SELECT 1 FROM group_rooms g WHERE g.room_id = r.id)
    ORDER BY r.id`) as (LeftRoom & { others: Int; owners: Int })[];
  const rooms = rows.map((r) => ({
    ...r,
    room: Number(r.room),
    others: Number(r.others),
    owners: Number(r.owners),
  }));
  const successors = new Map<number, UserRef>();
  for (const r of rooms.filter(needsSuccessor)) {
    const [next] = await tx`
      SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
      WHERE m.room_id = ${r.room} AND m.user_id <> ${user.id}
      ORDER BY ${tx.unsafe(SUCCESSION_ORDER)} LIMIT 1`;
    if (next) successors.set(r.room, { id: Number(next.id), name: next.name as string });
  }
  // Appended while the account is still a member, as every event's sender must be.
  const events = departureEvents(user, rooms, successors, by.now);
  const stored = events.length > 0 ? await appendIn(tx, pool, events) : [];
  const refused = stored.find((result) => !result.ok);
  if (refused) throw new Error(`a deleted account's event was refused: ${JSON.stringify(refused)}`);
  for (const [room, next] of successors) {
    await tx`UPDATE members SET role = 'owner' WHERE room_id = ${room} AND user_id = ${next.id}`;
    const why = { ...by, reason: OWNER_DELETED };
    await writeAudit(tx, room, "succession", next.id, why, successionDetail(user));
  }
  for (const r of rooms.filter(archivedByDeparture)) {
    await tx`UPDATE rooms SET archived_at = ${by.now} WHERE id = ${r.room}`;
    await writeAudit(tx, r.room, "archive", null, { ...by, reason: LAST_MEMBER_LEFT });
  }
}

const changed = (res: { count: unknown }) => (res.count as number) > 0;

export class PostgresAdmin implements AdminStore {
  constructor(private readonly run: Run) {}

  audit(
    room: number | undefined,
    action: string,
    target: number | undefined,
    by: AuditBy,
    detail = "",
  ): Promise<void> {
    return this.run(({ sql }) => writeAudit(sql, room ?? null, action, target ?? null, by, detail));
  }

  async accountFlags(userId: number) {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT is_admin, disabled_at FROM users WHERE id = ${userId}`,
    );
    return row ? { admin: row.is_admin === true, disabled: row.disabled_at !== null } : undefined;
  }

  async listUsers(after: string | undefined, limit: number): Promise<AccountRecord[]> {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT id, name, is_admin, disabled_at, created_at FROM users
        WHERE name_key COLLATE "C" > ${after ?? ""} ORDER BY name_key COLLATE "C" LIMIT ${limit}`,
    );
    return (
      rows as {
        id: Int;
        name: string;
        is_admin: boolean;
        disabled_at: Int | null;
        created_at: Int;
      }[]
    ).map((r) => ({
      id: Number(r.id),
      name: r.name,
      admin: r.is_admin,
      disabled: r.disabled_at !== null,
      createdAt: Number(r.created_at),
    }));
  }

  setAdmin(userId: number, admin: boolean, by: AuditBy): Promise<boolean> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const res = await tx`
          UPDATE users SET is_admin = ${admin} WHERE id = ${userId} AND is_admin <> ${admin}`;
        if (!changed(res)) return false;
        await writeAudit(tx, null, admin ? "admin_promote" : "admin_demote", userId, by);
        return true;
      }),
    );
  }

  setDisabled(userId: number, disabled: boolean, by: AuditBy): Promise<boolean> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const res = disabled
          ? await tx`UPDATE users SET disabled_at = ${by.now}
                     WHERE id = ${userId} AND disabled_at IS NULL`
          : await tx`UPDATE users SET disabled_at = NULL
                     WHERE id = ${userId} AND disabled_at IS NOT NULL`;
        if (!changed(res)) return false;
        if (disabled) await tx`DELETE FROM sessions WHERE user_id = ${userId}`;
        await writeAudit(tx, null, disabled ? "user_disable" : "user_enable", userId, by);
        return true;
      }),
    );
  }

  resetPassword(userId: number, passwordHash: string, by: AuditBy): Promise<boolean> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const res = await tx`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${userId}`;
        if (!changed(res)) return false;
        await tx`DELETE FROM sessions WHERE user_id = ${userId}`;
        await writeAudit(tx, null, "password_reset", userId, by);
        return true;
      }),
    );
  }

  deleteAccount(userId: number, by: AuditBy): Promise<boolean> {
    return this.run((pool) =>
      pool.sql.begin(async (tx) => {
        const [user] = await tx`SELECT id, name FROM users WHERE id = ${userId} FOR UPDATE`;
        if (!user) return false;
        await writeAudit(tx, null, "user_delete", userId, by);
        await leaveRooms(tx, pool, { id: userId, name: user.name as string }, by);
        await tx`DELETE FROM sessions WHERE user_id = ${userId}`;
        await tx`DELETE FROM members WHERE user_id = ${userId}`;
        await tx`DELETE FROM contacts WHERE user_id = ${userId} OR contact_id = ${userId}`;
        await tx`DELETE FROM blocks WHERE user_id = ${userId} OR blocked_id = ${userId}`;
        await tx`DELETE FROM devices WHERE user_id = ${userId}`;
        await tx`UPDATE bot_tokens SET revoked_at = ${by.now} WHERE revoked_at IS NULL
                 AND bot_id IN (SELECT id FROM users WHERE bot_owner_id = ${userId})`;
        await tx`UPDATE users SET name = 'deleted-' || id, name_key = 'deleted-' || id,
                 password_hash = '!', is_admin = false, disabled_at = ${by.now}
                 WHERE id = ${userId}`;
        return true;
      }),
    );
  }

  async setting(key: string): Promise<string | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT value FROM server_settings WHERE key = ${key}`,
    );
    return row ? (row.value as string) : undefined;
  }

  setSetting(key: string, value: string, by: AuditBy): Promise<void> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        await tx`INSERT INTO server_settings (key, value) VALUES (${key}, ${value})
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value`;
        await writeAudit(tx, null, "setting", null, by, JSON.stringify({ [key]: value }));
      }),
    );
  }

  createServerInvite(
    codeHash: string,
    expiresAt: number,
    maxUses: number,
    by: AuditBy,
  ): Promise<number> {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const [row] = await tx`
          INSERT INTO server_invites (code_hash, created_by, created_at, expires_at, max_uses)
          VALUES (${codeHash}, ${by.actor.id}, ${by.now}, ${expiresAt}, ${maxUses}) RETURNING id`;
        const id = Number(row.id);
        const detail = JSON.stringify({ invite: id, expiresAt, maxUses });
        await writeAudit(tx, null, "server_invite_create", null, by, detail);
        return id;
      }),
    );
  }

  registerWithInvite(
    codeHash: string,
    name: string,
    passwordHash: string,
    now: number,
  ): Promise<UserRecord | "taken" | "invalid"> {
    return this.run(({ sql }) =>
      sql.begin(async (tx): Promise<UserRecord | "taken" | "invalid"> => {
        const [invite] = await tx`
          SELECT id FROM server_invites WHERE code_hash = ${codeHash} AND revoked_at IS NULL
          AND expires_at > ${now} AND uses < max_uses FOR UPDATE`;
        if (!invite) return "invalid";
        const [row] = await tx`
          INSERT INTO users (name, name_key, password_hash, created_at)
          VALUES (${name}, ${nameKey(name)}, ${passwordHash}, ${now})
          ON CONFLICT (name_key) DO NOTHING RETURNING id`;
        if (!row) return "taken";
        await tx`UPDATE server_invites SET uses = uses + 1 WHERE id = ${invite.id}`;
        return { id: Number(row.id), name, passwordHash };
      }),
    );
  }
}
