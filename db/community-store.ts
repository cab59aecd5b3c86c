/**
 * Communities and moderation: roles, mutes and bans, invite codes, the audit log and reports.
 * Each action and its audit row commit in one transaction, with the room event that tells of it
 * when there is one. The records: community-records.ts.
 */
import type { UserRef } from "../src/protocol/index.ts";
import type {
  AuditBy,
  AuditEntry,
  InviteRecord,
  InviteRedemption,
  ModerationRecord,
  NewInvite,
  ReportRecord,
  RoomStanding,
} from "./community-records.ts";
import type { AppendRequest, AppendResult } from "./message-log.ts";

/** A moderation action's stored event, the event's refusal, or "unchanged" (nothing stored). */
export type LoggedModeration = AppendResult | "unchanged";

export interface CommunityStore {
  /** The user's role and mute in the room, or undefined when not a member. */
  standing(roomId: number, userId: number): Promise<RoomStanding | undefined>;
  /** Every member's standing in the room, by user id. */
  standings(roomId: number): Promise<Map<number, RoomStanding>>;
  /** True when the user is banned from the room at `now`. */
  isBanned(roomId: number, userId: number, now: number): Promise<boolean>;
  /**
   * Applies a moderation action and writes its audit row in one transaction. False when it
   * changed nothing (the target was not a member, not banned, the room is gone): no row then.
   */
  moderate(record: ModerationRecord): Promise<boolean>;
  /**
   * As moderate(), and `event`, the room event that records the action (its sender the actor,
   * who must be a member), is appended to the room's log in the same transaction: the log never
   * loses an action that happened (a kick whose line is missing) nor tells of one that did not.
   * The action is applied first, so a kick's event is the first entry its target cannot read.
   * "unchanged" when the action changed nothing (no event, no audit row); a refused event (the
   * actor is no member) rolls the action back and answers the refusal.
   */
  moderateWithEvent(record: ModerationRecord, event: AppendRequest): Promise<LoggedModeration>;
  /** Stores an invite code's hash; returns the invite's id. Audited as "invite_create". */
  createInvite(invite: NewInvite): Promise<number>;
  /**
   * Spends one use of a live invite (unexpired, unrevoked, uses left) and makes the user a
   * member, atomically; a banned user spends nothing. `joined` is false for a member already.
   */
  redeemInvite(codeHash: string, user: UserRef, now: number): Promise<InviteRedemption>;
  /** The room's invites, newest first, live or not. */
  invites(roomId: number): Promise<InviteRecord[]>;
  /** Revokes a live invite of the room, audited; false when there is none with that id. */
  revokeInvite(roomId: number, inviteId: number, actor: UserRef, now: number): Promise<boolean>;
  /** The newest audit rows, of one room or (room undefined) of all, newest first. */
  auditLog(roomId: number | undefined, limit: number): Promise<AuditEntry[]>;
  /** Stores a member's report of a message; returns its id. */
  createReport(
    room: number,
    seq: number,
    reporter: UserRef,
    reason: string,
    now: number,
  ): Promise<number>;
  /** The newest reports, of one room or (undefined) of all, open ones only or all. */
  reports(roomId: number | undefined, open: boolean, limit: number): Promise<ReportRecord[]>;
  /** Closes an open report of the room with what was done, audited; false if none such. */
  resolveReport(roomId: number, reportId: number, outcome: string, by: AuditBy): Promise<boolean>;
}
