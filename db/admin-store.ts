/**
 * Running a server: admins, disabled and deleted accounts, server settings and registration
 * invites, each change audited in the same transaction.
 */

import type { UserRecord } from "./account-store.ts";
import type { AccountRecord, AuditBy } from "./community-records.ts";

export { ACCOUNT_DELETED, OWNER_DELETED } from "./account-departure.ts";

export interface AdminStore {
  /** A user's server-wide standing, or undefined for no such user. */
  accountFlags(userId: number): Promise<{ admin: boolean; disabled: boolean } | undefined>;
  /** Up to `limit` accounts whose name key sorts after `after`, in order. */
  listUsers(after: string | undefined, limit: number): Promise<AccountRecord[]>;
  /** Makes the user a server admin or not, audited; false when nothing changed. */
  setAdmin(userId: number, admin: boolean, by: AuditBy): Promise<boolean>;
  /**
   * Disables (deleting every session, atomically) or enables the account, audited; false when
   * nothing changed. A disabled account's sessions are refused by findSession and liveSessions.
   */
  setDisabled(userId: number, disabled: boolean, by: AuditBy): Promise<boolean>;
  /** Sets a password as an admin (deleting every session), audited; false for no such user. */
  resetPassword(userId: number, passwordHash: string, by: AuditBy): Promise<boolean>;
  /**
   * Deletes an account, audited: its sessions, memberships, contacts, blocks, devices and bots'
   * tokens go; its messages stay, shown under "deleted-ID" (the name is freed). In the same
   * transaction (account-departure.ts) each room it was in gets its leave, a room it was the
   * only owner of gets a successor (a `role` event "owner" and an audit row `succession`), and a
   * private room it was the last member of is archived (audited). False if none.
   */
  deleteAccount(userId: number, by: AuditBy): Promise<boolean>;
  /** A server setting (registration mode), or undefined when never set. */
  setting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string, by: AuditBy): Promise<void>;
  /** Stores a registration invite code's hash; returns its id. Audited. */
  createServerInvite(
    codeHash: string,
    expiresAt: number,
    maxUses: number,
    by: AuditBy,
  ): Promise<number>;
  /** Creates the user and spends one use of a live registration invite, atomically. */
  registerWithInvite(
    codeHash: string,
    name: string,
    passwordHash: string,
    now: number,
  ): Promise<UserRecord | "taken" | "invalid">;
  /** Writes an audit row for an action the store does not apply itself (a room deleted by an admin). */
  audit(
    room: number | undefined,
    action: string,
    target: number | undefined,
    by: AuditBy,
    detail?: string,
  ): Promise<void>;
}
