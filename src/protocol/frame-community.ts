/**
 * The frames of communities (docs/protocol.md): moderation, invitations by code and by name,
 * and the audit log.
 */
import { z } from "zod";
import { reason, ref, requestId, roomId, userName, userRef } from "./frame-fields.ts";

export const moderationAction = z.enum([
  "kick",
  "ban",
  "unban",
  "mute",
  "unmute",
  "op",
  "deop",
  "transfer",
]);

export const communityClientFrames = {
  moderate: z.object({
    type: z.literal("moderate"),
    id: requestId,
    room: roomId,
    action: moderationAction,
    user: userName,
    /** A ban's or a mute's length; a ban without it is for good, a mute lasts an hour. */
    seconds: z
      .int()
      .min(1)
      .max(366 * 24 * 3600)
      .optional(),
    reason: reason.optional(),
  }),
  invite_create: z.object({
    type: z.literal("invite_create"),
    id: requestId,
    room: roomId,
    seconds: z
      .int()
      .min(60)
      .max(90 * 24 * 3600)
      .optional(),
    uses: z.int().min(1).max(1000).optional(),
  }),
  invites: z.object({ type: z.literal("invites"), id: requestId, room: roomId }),
  invite_revoke: z.object({
    type: z.literal("invite_revoke"),
    id: requestId,
    room: roomId,
    invite: z.int().min(1),
  }),
  /** Joins the room an invite code opens; answered like join. */
  invite_redeem: z.object({
    type: z.literal("invite_redeem"),
    id: requestId,
    code: z.string().max(64),
  }),
  audit: z.object({ type: z.literal("audit"), id: requestId, room: roomId }),
  invite_user: z.object({
    type: z.literal("invite_user"),
    id: requestId,
    room: roomId,
    user: userName,
    seconds: z
      .int()
      .min(60)
      .max(90 * 24 * 3600)
      .optional(),
  }),
  user_invites: z.object({ type: z.literal("user_invites"), id: requestId }),
  invite_answer: z.object({
    type: z.literal("invite_answer"),
    id: requestId,
    room: roomId,
    accept: z.boolean(),
  }),
} as const;

/** An invitation of the user by name, as they see it. */
export const userInvite = z.object({
  room: roomId,
  name: z.string(),
  by: userRef.optional(),
  expiresAt: z.int(),
});

export const inviteView = z.object({
  id: z.int(),
  room: roomId,
  /** The code, shown once: only in the answer to invite_create. */
  code: z.string().optional(),
  expiresAt: z.int(),
  maxUses: z.int(),
  uses: z.int(),
  revoked: z.boolean(),
});

export const auditEntry = z.object({
  id: z.int(),
  room: roomId.optional(),
  actor: userRef,
  action: z.string(),
  target: userRef.optional(),
  reason: z.string(),
  detail: z.string(),
  at: z.int(),
});

export const communityServerFrames = {
  /** Ephemeral, to the room: a moderator acted (`until`: a ban's or mute's end); lists refresh. */
  moderation: z.object({
    type: z.literal("moderation"),
    room: roomId,
    action: moderationAction,
    by: userRef,
    user: userRef,
    until: z.int().nullable().optional(),
    reason: z.string().optional(),
  }),
  invite: z.object({ type: z.literal("invite"), ref, invite: inviteView }),
  invites: z.object({
    type: z.literal("invites"),
    ref,
    room: roomId,
    invites: z.array(inviteView),
  }),
  audit: z.object({ type: z.literal("audit"), ref, room: roomId, entries: z.array(auditEntry) }),
  /** The user's live invitations by name (answer to user_invites). */
  user_invites: z.object({ type: z.literal("user_invites"), ref, invites: z.array(userInvite) }),
  /** Live, to every socket of the invitee on every node. */
  invited: z.object({ type: z.literal("invited"), invite: userInvite }),
} as const;
