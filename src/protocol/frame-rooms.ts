/**
 * The frames of rooms themselves: listing, creating, joining and leaving, members, and a room's
 * topic, name and end (archive, delete), with the room summary and member every client shows.
 */
import { z } from "zod";
import { reason, ref, requestId, roomId, seq, userRef, userStatus } from "./frame-fields.ts";
import { ROOM_PAGE_MAX, TOPIC_MAX_CHARS } from "./rules.ts";

export const roomKind = z.enum(["room", "dm", "group"]);
export type RoomKind = z.infer<typeof roomKind>;
export const roomVisibility = z.enum(["public", "private"]);
export const roomRole = z.enum(["owner", "moderator", "member"]);
export type RoomRole = z.infer<typeof roomRole>;

export const roomClientFrames = {
  rooms: z.object({
    type: z.literal("rooms"),
    id: requestId,
    /** The `next` of the page before: list public rooms after it. */
    after: z.string().max(64).optional(),
    limit: z.int().min(1).max(ROOM_PAGE_MAX).optional(),
    /** Instead of a page: just the public room of this name (if any). */
    name: z.string().max(64).optional(),
  }),
  create: z.object({
    type: z.literal("create"),
    id: requestId,
    name: z.string().max(64),
    topic: z.string().max(TOPIC_MAX_CHARS).optional(),
    /** A private room is unlisted and invitation only. @default "public" */
    visibility: roomVisibility.optional(),
  }),
  join: z
    .object({
      type: z.literal("join"),
      id: requestId,
      room: roomId.optional(),
      name: z.string().max(64).optional(),
      /** Replay exactly seq > after instead of the recent history. */
      after: seq.optional(),
    })
    .refine((f) => (f.room === undefined) !== (f.name === undefined), {
      message: "give exactly one of room or name",
    }),
  leave: z.object({ type: z.literal("leave"), id: requestId, room: roomId }),
  members: z.object({ type: z.literal("members"), id: requestId, room: roomId }),
  topic: z.object({
    type: z.literal("topic"),
    id: requestId,
    room: roomId,
    topic: z.string().max(TOPIC_MAX_CHARS),
  }),
  rename_room: z.object({
    type: z.literal("rename_room"),
    id: requestId,
    room: roomId,
    name: z.string().max(64),
  }),
  archive_room: z.object({
    type: z.literal("archive_room"),
    id: requestId,
    room: roomId,
  }),
  delete_room: z.object({
    type: z.literal("delete_room"),
    id: requestId,
    room: roomId,
    reason: reason.optional(),
  }),
} as const;

export const roomSummary = z.object({
  id: roomId,
  kind: roomKind,
  name: z.string(),
  topic: z.string(),
  members: z.int(),
  online: z.int(),
  joined: z.boolean(),
  head: seq,
  /** Messages from others the caller has not marked read (counted up to 1000). */
  unread: z.int(),
  /** Of those, the ones that @mention the caller (public rooms; DMs are sealed). */
  mentions: z.int().optional(),
  /** For a DM: the other person. */
  peer: z.object({ id: z.int(), name: z.string(), status: userStatus }).optional(),
  /** "private": unlisted, invitation only. Absent from servers before communities. */
  visibility: roomVisibility.optional(),
  archived: z.literal(true).optional(), // archived: readable, never written again (ROOM_ARCHIVED)
});
export type RoomSummary = z.infer<typeof roomSummary>;

export const member = z.object({
  id: z.int(),
  name: z.string(),
  online: z.boolean(),
  status: userStatus,
  /** The member's role in a room (absent in a DM). */
  role: roomRole.optional(),
  /** Until when (ms) the member is muted, when they are. */
  mutedUntil: z.int().optional(),
});
export type Member = z.infer<typeof member>;

export const roomServerFrames = {
  rooms: z.object({
    type: z.literal("rooms"),
    ref,
    rooms: z.array(roomSummary),
    /** More public rooms: ask again with `after` set to this. */
    next: z.string().optional(),
  }),
  created: z.object({ type: z.literal("created"), ref, room: roomSummary }),
  joined: z.object({ type: z.literal("joined"), ref, room: roomSummary }),
  left: z.object({ type: z.literal("left"), ref, room: roomId }),
  members: z.object({ type: z.literal("members"), ref, room: roomId, members: z.array(member) }),
  /**
   * Ephemeral, to every socket: a public room was created (`by` is its creator, now its only
   * member; `room.joined` is false and `room.unread` 0, as for anyone else).
   */
  room_created: z.object({ type: z.literal("room_created"), room: roomSummary, by: userRef }),
  /** Ephemeral: someone joined or left the room. */
  notice: z.object({
    type: z.literal("notice"),
    room: roomId,
    user: userRef,
    event: z.enum(["joined", "left"]),
  }),
  /** To a removed user's sockets: they are out of the room and receive it no more. */
  removed: z.object({
    type: z.literal("removed"),
    room: roomId,
    reason: z.enum(["kicked", "banned", "deleted"]),
  }),
} as const;
