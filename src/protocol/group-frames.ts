/**
 * Frames of encrypted group conversations (docs/e2ee.md section 12), spread into frame.ts's
 * client and server frames. A group is a private room of kind "group" whose membership is a
 * chain of versions each signed by a member's device, stored as "membership" events of the
 * room's log; the server keeps its own member list in step with the chain, for delivery only.
 */
import { z } from "zod";
import { GROUP_MEMBERS_MAX, membershipSchema } from "../crypto/group-membership.ts";
import { requestId, roomId, seq, userRef } from "./frame-fields.ts";
import { ROOM_NAME_PATTERN } from "./rules.ts";

export const groupClientFrames = {
  /**
   * Creates an empty group (only its creator, who then signs version 1 naming the members with
   * `group_membership`). Answered by `created` with a room of kind "group".
   */
  group_create: z.object({
    type: z.literal("group_create"),
    id: requestId,
    name: z.string().regex(ROOM_NAME_PATTERN),
  }),
  /**
   * The next signed membership version: stored as a "membership" event, then the server adds
   * and removes members to match it. Answered by `ok` once stored.
   */
  group_membership: z.object({
    type: z.literal("group_membership"),
    id: requestId,
    room: roomId,
    membership: membershipSchema,
  }),
  /** The ids of users named (to put in a membership version); unknown names are left out. */
  group_lookup: z.object({
    type: z.literal("group_lookup"),
    id: requestId,
    names: z.array(z.string().min(1).max(64)).min(1).max(GROUP_MEMBERS_MAX),
  }),
  /** Every membership version of the group in log order, for a client to check the chain. */
  group_state: z.object({ type: z.literal("group_state"), id: requestId, room: roomId }),
} as const;

export const groupServerFrames = {
  group_state: z.object({
    type: z.literal("group_state"),
    ref: z.string(),
    room: roomId,
    /** The "membership" events' bodies as stored: clients accept each only as the chain's next. */
    versions: z.array(z.object({ seq, ts: z.int(), from: userRef, body: z.string() })),
  }),
  group_lookup: z.object({
    type: z.literal("group_lookup"),
    ref: z.string(),
    users: z.array(userRef),
  }),
  /** Pushed to every socket of a user a membership version added to a group (every node). */
  group_added: z.object({ type: z.literal("group_added"), room: roomId, by: userRef }),
} as const;
