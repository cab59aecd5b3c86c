/**
 * The frames between people: presence and typing (ephemeral, never stored), direct-message
 * conversations, contacts, blocks and who may open a DM.
 */
import { z } from "zod";
import { ref, requestId, roomId, seq, userName, userRef, userStatus } from "./frame-fields.ts";
import { member, roomSummary } from "./frame-rooms.ts";

export const dmPolicy = z.enum(["everyone", "contacts"]);
export type DmPolicy = z.infer<typeof dmPolicy>;

export const socialClientFrames = {
  /** Notification (no reply): I am typing in this room. */
  typing: z.object({ type: z.literal("typing"), id: requestId.optional(), room: roomId }),
  /** Sets this connection's presence; the user is away when every connection is. */
  status: z.object({
    type: z.literal("status"),
    id: requestId,
    status: z.enum(["online", "away"]),
  }),
  /** Opens (or creates) the DM conversation with a user, and attaches this socket to it. */
  dm: z.object({ type: z.literal("dm"), id: requestId, user: userName, after: seq.optional() }),
  contacts: z.object({ type: z.literal("contacts"), id: requestId }),
  contact_add: z.object({ type: z.literal("contact_add"), id: requestId, user: userName }),
  contact_remove: z.object({ type: z.literal("contact_remove"), id: requestId, user: userName }),
  block: z.object({ type: z.literal("block"), id: requestId, user: userName }),
  unblock: z.object({ type: z.literal("unblock"), id: requestId, user: userName }),
  dm_policy: z.object({ type: z.literal("dm_policy"), id: requestId, policy: dmPolicy }),
} as const;

export const socialServerFrames = {
  dm: z.object({ type: z.literal("dm"), ref, room: roomSummary }),
  /** A new DM that includes you was opened elsewhere; this socket now receives it. */
  dm_opened: z.object({ type: z.literal("dm_opened"), room: roomSummary }),
  contacts: z.object({
    type: z.literal("contacts"),
    ref,
    contacts: z.array(member.omit({ online: true })),
    blocked: z.array(userRef),
    dmPolicy,
  }),
  /** Ephemeral: a member's presence changed (never stored, never replayed). */
  presence: z.object({
    type: z.literal("presence"),
    room: roomId,
    user: userRef,
    status: userStatus,
  }),
  /** Ephemeral: a member is typing; show it for about 6 s or until their message arrives. */
  typing: z.object({ type: z.literal("typing"), room: roomId, user: userRef }),
} as const;
