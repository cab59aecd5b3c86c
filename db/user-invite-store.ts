/** Invitations of a user by name to a room: listed to the invitee, accepted or declined once. */
import type { AuditBy, InviteRedemption, UserInvite } from "./community-records.ts";

export interface UserInviteStore {
  /** Invites the user to the room until `expiresAt` (again: renewed), audited `invite_user`. */
  inviteUser(room: number, userId: number, by: AuditBy, expiresAt: number): Promise<void>;
  /** The user's live invitations by name, newest first. */
  userInvites(userId: number, now: number): Promise<UserInvite[]>;
  /** Ends a live invitation; on accept, joins (unless banned: BANNED), atomically. */
  answerUserInvite(
    room: number,
    userId: number,
    accept: boolean,
    now: number,
  ): Promise<InviteRedemption>;
}
