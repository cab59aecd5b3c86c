/**
 * What each WebSocket command needs of its sender in the room its frame names, declared once
 * and checked by access.ts before the handler runs (connection.ts). Every socket is already
 * authenticated at the upgrade, and bot tokens are held to their rooms by bot-scope.ts first.
 * A new frame gets its line here; a command that names no room, or whose operation decides
 * alone (joining, leaving, resuming: see the notes), declares nothing.
 */
import type { ClientFrameType } from "../protocol/index.ts";
import type { Requirement } from "./access.ts";
import { SEND } from "./send-pipeline.ts";

const NONE: Requirement = {};
const MEMBER: Requirement = { room: "member" };
/** Invitations to a room: not for a group, whose members its signed versions name (access.ts). */
const INVITE: Requirement = { room: "invite", notGroup: true };

export const REQUIREMENTS: { readonly [T in ClientFrameType]: Requirement } = {
  ping: NONE,
  rooms: NONE,
  create: NONE,
  /** A private room is found by its members only, and bans are checked by Chat.join. */
  join: NONE,
  /** Chat.leave: whether one may leave (LAST_OWNER) is the room's rule, checked there. */
  leave: NONE,
  send: SEND,
  /** message-events.ts checks membership with the DM lookup it needs anyway (IRC calls it too). */
  event: NONE,
  /** resume.ts checks all the named rooms in one read, refusing each room alone. */
  resume: NONE,
  history: MEMBER,
  members: MEMBER,
  typing: { room: "member", cached: true },
  /** Marks only a membership that exists: nothing to refuse. */
  read: NONE,
  status: NONE,
  dm: NONE,
  contacts: NONE,
  contact_add: NONE,
  contact_remove: NONE,
  block: NONE,
  unblock: NONE,
  dm_policy: NONE,
  device: NONE,
  device_list: NONE,
  backup_create: NONE,
  backup_add: NONE,
  backup_get: NONE,
  devices: NONE,
  /**
   * The right depends on the action (a role change needs "roles"), and the actor must outrank
   * the target: moderation.ts reads the actor's role for both (roles.ts). None of it applies in
   * a group (kick, ban, mute, roles): its admins and members are its signed versions.
   */
  moderate: { notGroup: true },
  topic: { room: "topic" },
  /** Moderation.deleteRoom checks it itself: the server admin's own route deletes through it. */
  delete_room: NONE,
  rename_room: { room: "lifecycle" },
  archive_room: { room: "lifecycle" },
  invite_create: INVITE,
  invites: { room: "invite" },
  invite_revoke: { room: "invite" },
  /** The code itself is the right to join. */
  invite_redeem: NONE,
  audit: { room: "audit" },
  invite_user: INVITE,
  user_invites: NONE,
  /** The invitation addressed to the user is the right; invitations.ts looks it up. */
  invite_answer: NONE,
  group_create: NONE,
  /** groups.ts also checks that the room is a group and the change the sender's to make. */
  group_membership: MEMBER,
  group_state: MEMBER,
  group_lookup: NONE,
};
