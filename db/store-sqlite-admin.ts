/**
 * The SQLite store's server administration: admins, disabled and deleted accounts, settings
 * and registration invites (admin-store.ts). Each change writes its audit row in the same
 * transaction.
 */
import type { Database } from "bun:sqlite";
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
import { type Appender, createAppender } from "./store-sqlite-append.ts";

/** The rooms whose timelines get a deleted account's leave: not DMs, not encrypted groups. */
const ROOMS_LEFT = `SELECT r.id AS room, m.role, r.visibility, r.archived_at IS NOT NULL AS archived,
    (SELECT count(*) FROM members o WHERE o.room_id = r.id AND o.user_id <> m.user_id) AS others,
    (SELECT count(*) FROM members o WHERE o.room_id = r.id AND o.user_id <> m.user_id
       AND o.role = 'owner') AS owners
  FROM members m JOIN rooms r ON r.id = m.room_id
  WHERE m.user_id = ? AND r.kind = 'room'
    AND NOT EXISTS (SELECT 1 FROM group_rooms g WHERE g.room_id = r.id) ORDER BY m.room_id`;

/** The member who takes the room over (account-departure.ts), the deleted account aside. */
const SUCCESSOR = `SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
  WHERE m.room_id = ? AND m.user_id <> ? ORDER BY ${SUCCESSION_ORDER} LIMIT 1`;

export class SqliteAdmin implements AdminStore {
  /** The log's append, for a deleted account's leaves inside the deletion's transaction. */
  private readonly append: Appender;

  constructor(private readonly db: Database) {
    this.append = createAppender(db);
  }

  #audit(
    room: number | null,
    action: string,
    target: number | null,
    by: AuditBy,
    detail = "",
  ): void {
    this.db.run(
      `INSERT INTO audit_log (room_id, actor_id, actor_name, action, target_id, target_name,
         reason, detail, created_at)
       VALUES (?, ?, ?, ?, ?, coalesce((SELECT name FROM users WHERE id = ?), ''), ?, ?, ?)`,
      [room, by.actor.id, by.actor.name, action, target, target, by.reason, detail, by.now],
    );
  }

  async audit(
    room: number | undefined,
    action: string,
    target: number | undefined,
    by: AuditBy,
    detail = "",
  ): Promise<void> {
    this.#audit(room ?? null, action, target ?? null, by, detail);
  }

  async accountFlags(userId: number) {
    const row = this.db
      .query<{ admin: number; disabled: number | null }, [number]>(
        "SELECT is_admin AS admin, disabled_at AS disabled FROM users WHERE id = ?",
      )
      .get(userId);
    return row ? { admin: row.admin === 1, disabled: row.disabled !== null } : undefined;
  }

  async listUsers(after: string | undefined, limit: number): Promise<AccountRecord[]> {
    return this.db
      .query<
        { id: number; name: string; admin: number; disabled: number | null; createdAt: number },
        [string, number]
      >(
        `SELECT id, name, is_admin AS admin, disabled_at AS disabled, created_at AS createdAt
         FROM users WHERE name_key > ? ORDER BY name_key LIMIT ?`,
      )
      .all(after ?? "", limit)
      .map((r) => ({ ...r, admin: r.admin === 1, disabled: r.disabled !== null }));
  }

  async setAdmin(userId: number, admin: boolean, by: AuditBy): Promise<boolean> {
    return this.db
      .transaction(() => {
        const changed = this.db.run(
          "UPDATE users SET is_admin = ? WHERE id = ? AND is_admin <> ?",
          [admin ? 1 : 0, userId, admin ? 1 : 0],
        ).changes;
        if (changed === 0) return false;
        this.#audit(null, admin ? "admin_promote" : "admin_demote", userId, by);
        return true;
      })
      .immediate();
  }

  async setDisabled(userId: number, disabled: boolean, by: AuditBy): Promise<boolean> {
    return this.db
      .transaction(() => {
        const changed = disabled
          ? this.db.run("UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL", [
              by.now,
              userId,
            ]).changes
          : this.db.run(
              "UPDATE users SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL",
              [userId],
            ).changes;
        if (changed === 0) return false;
        if (disabled) this.db.run("DELETE FROM sessions WHERE user_id = ?", [userId]);
        this.#audit(null, disabled ? "user_disable" : "user_enable", userId, by);
        return true;
      })
      .immediate();
  }

  async resetPassword(userId: number, passwordHash: string, by: AuditBy): Promise<boolean> {
    return this.db
      .transaction(() => {
        const changed = this.db.run("UPDATE users SET password_hash = ? WHERE id = ?", [
          passwordHash,
          userId,
        ]).changes;
        if (changed === 0) return false;
        this.db.run("DELETE FROM sessions WHERE user_id = ?", [userId]);
        this.#audit(null, "password_reset", userId, by);
        return true;
      })
      .immediate();
  }

  async deleteAccount(userId: number, by: AuditBy): Promise<boolean> {
    return this.db
      .transaction(() => {
        const user = this.db
          .query<{ id: number; name: string }, [number]>("SELECT id, name FROM users WHERE id = ?")
          .get(userId);
        if (!user) return false;
        // Audited first, while the name is still the one people knew.
        this.#audit(null, "user_delete", userId, by);
        this.#leaveRooms(user, by);
        for (const sql of [
          "DELETE FROM sessions WHERE user_id = ?1",
          "DELETE FROM members WHERE user_id = ?1",
          "DELETE FROM contacts WHERE user_id = ?1 OR contact_id = ?1",
          "DELETE FROM blocks WHERE user_id = ?1 OR blocked_id = ?1",
          "DELETE FROM devices WHERE user_id = ?1",
          `UPDATE bot_tokens SET revoked_at = ?2 WHERE revoked_at IS NULL
             AND bot_id IN (SELECT id FROM users WHERE bot_owner_id = ?1)`,
          // The messages stay, under a name nobody can take (names are at least 3 characters
          // of [A-Za-z0-9_-], and "deleted-" names are made only here, from a unique id).
          `UPDATE users SET name = 'deleted-' || id, name_key = 'deleted-' || id,
             password_hash = '!', is_admin = 0, disabled_at = ?2 WHERE id = ?1`,
        ]) {
          this.db.run(sql, sql.includes("?2") ? [userId, by.now] : [userId]);
        }
        return true;
      })
      .immediate();
  }

  /** The deleted account's going from each of its rooms (account-departure.ts). */
  #leaveRooms(user: UserRef, by: AuditBy): void {
    const rooms = this.db
      .query<Omit<LeftRoom, "archived"> & { archived: number }, [number]>(ROOMS_LEFT)
      .all(user.id)
      .map((r) => ({ ...r, archived: r.archived === 1 }));
    const successors = new Map<number, UserRef>();
    for (const r of rooms.filter(needsSuccessor)) {
      const next = this.db.query<UserRef, [number, number]>(SUCCESSOR).get(r.room, user.id);
      if (next) successors.set(r.room, next);
    }
    // Appended while the account is still a member, as every event's sender must be.
    const stored = this.append(departureEvents(user, rooms, successors, by.now));
    const refused = stored.find((result) => !result.ok);
    if (refused)
      throw new Error(`a deleted account's event was refused: ${JSON.stringify(refused)}`);
    for (const [room, next] of successors) {
      this.db.run("UPDATE members SET role = 'owner' WHERE room_id = ? AND user_id = ?", [
        room,
        next.id,
      ]);
      const why = { ...by, reason: OWNER_DELETED };
      this.#audit(room, "succession", next.id, why, successionDetail(user));
    }
    for (const r of rooms.filter(archivedByDeparture)) {
      this.db.run("UPDATE rooms SET archived_at = ? WHERE id = ?", [by.now, r.room]);
      this.#audit(r.room, "archive", null, { ...by, reason: LAST_MEMBER_LEFT });
    }
  }

  async setting(key: string): Promise<string | undefined> {
    return (
      this.db
        .query<{ value: string }, [string]>("SELECT value FROM server_settings WHERE key = ?")
        .get(key)?.value ?? undefined
    );
  }

  async setSetting(key: string, value: string, by: AuditBy): Promise<void> {
    this.db
      .transaction(() => {
        this.db.run(
          `INSERT INTO server_settings (key, value) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [key, value],
        );
        this.#audit(null, "setting", null, by, JSON.stringify({ [key]: value }));
      })
      .immediate();
  }

  async createServerInvite(
    codeHash: string,
    expiresAt: number,
    maxUses: number,
    by: AuditBy,
  ): Promise<number> {
    return this.db
      .transaction(() => {
        const row = this.db
          .query<{ id: number }, [string, number, number, number, number]>(
            `INSERT INTO server_invites (code_hash, created_by, created_at, expires_at, max_uses)
             VALUES (?, ?, ?, ?, ?) RETURNING id`,
          )
          .get(codeHash, by.actor.id, by.now, expiresAt, maxUses) as { id: number };
        this.#audit(
          null,
          "server_invite_create",
          null,
          by,
          JSON.stringify({ invite: row.id, expiresAt, maxUses }),
        );
        return row.id;
      })
      .immediate();
  }

  async registerWithInvite(
    codeHash: string,
    name: string,
    passwordHash: string,
    now: number,
  ): Promise<UserRecord | "taken" | "invalid"> {
    return this.db
      .transaction((): UserRecord | "taken" | "invalid" => {
        const invite = this.db
          .query<{ id: number }, [string, number]>(
            `SELECT id FROM server_invites WHERE code_hash = ? AND revoked_at IS NULL
             AND expires_at > ? AND uses < max_uses`,
          )
          .get(codeHash, now);
        if (!invite) return "invalid";
        const row = this.db
          .query<{ id: number }, [string, string, string, number]>(
            `INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (name_key) DO NOTHING RETURNING id`,
          )
          .get(name, nameKey(name), passwordHash, now);
        if (!row) return "taken";
        this.db.run("UPDATE server_invites SET uses = uses + 1 WHERE id = ?", [invite.id]);
        return { id: row.id, name, passwordHash };
      })
      .immediate();
  }
}
