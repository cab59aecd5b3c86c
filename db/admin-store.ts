/**
 * Running a server: admins, disabled and deleted accounts, server settings and registration
 * invites, each change audited in the same transaction.
 */

import type { UserRef } from "../src/protocol/index.ts";
import type { UserRecord } from "./account-store.ts";
import type { AccountRecord, AuditBy } from "./community-records.ts";
import type { AppendRequest } from "./message-log.ts";

/** The body of the leave a deleted account leaves in each room it was in. */
export const ACCOUNT_DELETED = "account deleted";

/**
 * The leaves of a deleted account, one per room (not DM, not encrypted group) it was in: its
 * memberships end, so, as Matrix's deactivation does, each room's timeline says so ("left:
 * account deleted") rather than a member vanishing from the list unexplained. Appended in the
 * deletion's transaction while the user is still a member; the nodes' sequencers deliver them.
 */
export function accountLeaves(
  user: UserRef,
  rooms: readonly number[],
  now: number,
): AppendRequest[] {
  return rooms.map((room) => ({
    room,
    sender: user,
    cid: `leave-${crypto.randomUUID()}`,
    body: ACCOUNT_DELETED,
    ts: now,
    event: { kind: "leave" },
  }));
}

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
   * tokens go; its messages stay, shown under "deleted-ID" (the name is freed). Each room it was
   * in gets its leave (accountLeaves) in the same transaction. False if none.
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
