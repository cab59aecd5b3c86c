/**
 * Every WebSocket frame, defined once: zod schemas give the server and every client the same
 * runtime validation and the same static types. docs/protocol.md is the prose of this file.
 */
import { z } from "zod";
import { deviceBundleSchema } from "../crypto/bundle.ts";
import { deviceListSchema } from "../crypto/device-list.ts";
import { envelopeSchema } from "../crypto/envelope-format.ts";
import { backupInfoSchema } from "../crypto/key-backup.ts";
import type { ErrorCode } from "./errors.ts";
import { messageState, REQUESTED_KINDS, roomEvent } from "./event.ts";
import { groupClientFrames, groupServerFrames } from "./group-frames.ts";
import {
  BACKUP_ITEM_CHARS_MAX,
  CLIENT_ID_MAX,
  FILE_ID_PATTERN,
  FILE_NAME_MAX,
  HISTORY_PAGE_MAX,
  ROOM_PAGE_MAX,
  TOPIC_MAX_CHARS,
} from "./rules.ts";

const requestId = z.string().min(1).max(64);
const roomId = z.int().min(1).max(Number.MAX_SAFE_INTEGER);
const seq = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
// Bodies are checked in code points by the handler (INVALID_MESSAGE); this only bounds the work.
const body = z.string().max(16_000);
const userName = z.string().min(1).max(64);
// Stored and compared as text: a lone surrogate would be stored as U+FFFD, so two different ids
// could become one (and PostgreSQL cannot store NUL at all).
const clientId = z
  .string()
  .min(1)
  .max(CLIENT_ID_MAX)
  .refine((s) => s.isWellFormed() && !s.includes("\u0000"), "not valid text");

const fileId = z.string().regex(FILE_ID_PATTERN, "not a file id");

export const roomKind = z.enum(["room", "dm", "group"]);
export const roomVisibility = z.enum(["public", "private"]);
export const roomRole = z.enum(["owner", "moderator", "member"]);
export type RoomRole = z.infer<typeof roomRole>;
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
const reason = z.string().max(500);
export type RoomKind = z.infer<typeof roomKind>;
export const userStatus = z.enum(["online", "away", "offline"]);
export type UserStatus = z.infer<typeof userStatus>;
export const dmPolicy = z.enum(["everyone", "contacts"]);
export type DmPolicy = z.infer<typeof dmPolicy>;

/** Client → server. Every request carries an `id`; the reply quotes it as `ref`. */
export const clientFrames = {
  ping: z.object({ type: z.literal("ping"), id: requestId }),
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
  send: z
    .object({
      type: z.literal("send"),
      id: requestId,
      room: roomId,
      cid: clientId,
      /** Text, for a public room. */
      body: body.optional(),
      /** A sealed message, for a DM room: the server stores and relays it unread. */
      envelope: envelopeSchema.optional(),
      /** A file this user uploaded to this public room; body is then an optional caption. */
      file: fileId.optional(),
      /** The seq of the message (in this room) this one replies to. */
      reply: seq.optional(),
    })
    .refine(
      (f) =>
        f.envelope === undefined
          ? f.body !== undefined || f.file !== undefined
          : f.body === undefined && f.file === undefined,
      { message: "give a body, a file or both, or else an envelope alone" },
    ),
  /**
   * A change to a message, stored as an event in the room's log (event.ts): `edit` (body, or an
   * envelope in a DM), `delete`, `react` (emoji and on, or an envelope in a DM). Answered by an
   * `ack` with the event's own seq, like a send, and idempotent by cid the same way.
   */
  event: z.object({
    type: z.literal("event"),
    id: requestId,
    room: roomId,
    cid: clientId,
    kind: z.enum(REQUESTED_KINDS),
    target: seq,
    body: body.optional(),
    emoji: z.string().max(64).optional(),
    on: z.boolean().optional(),
    envelope: envelopeSchema.optional(),
  }),
  resume: z.object({
    type: z.literal("resume"),
    id: requestId,
    rooms: z.array(z.object({ room: roomId, after: seq })).max(1000),
  }),
  history: z.object({
    type: z.literal("history"),
    id: requestId,
    room: roomId,
    before: seq.optional(),
    after: seq.optional(),
    limit: z.int().min(1).max(HISTORY_PAGE_MAX).optional(),
  }),
  members: z.object({ type: z.literal("members"), id: requestId, room: roomId }),
  /** Notification (no reply): I am typing in this room. */
  typing: z.object({ type: z.literal("typing"), id: requestId.optional(), room: roomId }),
  /** Notification (no reply): I have read the room up to seq. */
  read: z.object({ type: z.literal("read"), id: requestId.optional(), room: roomId, seq }),
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
  // ---- Communities: moderation, invitations, the audit log (docs/protocol.md) ----
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
  archive_room: z.object({ type: z.literal("archive_room"), id: requestId, room: roomId }),
  delete_room: z.object({
    type: z.literal("delete_room"),
    id: requestId,
    room: roomId,
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
  /** Publishes (or replaces) this device's signed public keys. */
  device: z.object({ type: z.literal("device"), id: requestId, bundle: deviceBundleSchema }),
  /**
   * Publishes this account's device list, signed by its account identity key. `reset` replaces
   * a list signed by another key (a lost account key); peers' clients announce that loudly.
   */
  device_list: z.object({
    type: z.literal("device_list"),
    id: requestId,
    list: deviceListSchema,
    reset: z.boolean().optional(),
  }),
  /** Starts (or replaces) this account's encrypted key backup. */
  backup_create: z.object({
    type: z.literal("backup_create"),
    id: requestId,
    info: backupInfoSchema,
  }),
  /** Adds an opaque item, sealed to the backup key, to this account's key backup. */
  backup_add: z.object({
    type: z.literal("backup_add"),
    id: requestId,
    item: z.string().min(1).max(BACKUP_ITEM_CHARS_MAX),
  }),
  /** This account's key backup: its info and the items with id > after. */
  backup_get: z.object({
    type: z.literal("backup_get"),
    id: requestId,
    after: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  }),
  /** The published devices of some users. */
  devices: z.object({
    type: z.literal("devices"),
    id: requestId,
    users: z.array(z.int().min(1)).min(1).max(50),
  }),
  ...groupClientFrames,
} as const;

/** Frames that are notifications: they carry no required id and get no reply on success. */
export const NOTIFICATIONS: ReadonlySet<string> = new Set(["typing", "read"]);

export type ClientFrameType = keyof typeof clientFrames;
export type ClientFrameOf<T extends ClientFrameType> = z.infer<(typeof clientFrames)[T]>;
export type ClientFrame = { [T in ClientFrameType]: ClientFrameOf<T> }[ClientFrameType];

// ---- Server → client ----

export const userRef = z.object({ id: z.int(), name: z.string() });
export type UserRef = z.infer<typeof userRef>;

/** A file shared in a public room, as messages carry it. DM files travel inside the envelope. */
export const messageFile = z.object({
  id: z.string(),
  name: z.string().max(FILE_NAME_MAX),
  /** Bytes. */
  size: z.int().min(0),
  /** A MIME type such as "image/png"; "application/octet-stream" when unknown. */
  type: z.string(),
});
export type MessageFile = z.infer<typeof messageFile>;

export const message = z.object({
  room: roomId,
  seq,
  ts: z.int(),
  from: userRef,
  cid: z.string(),
  /** The text; empty for a sealed message. */
  body: z.string(),
  /** Only in DM rooms: the end-to-end encrypted message, opened by the recipients' devices. */
  envelope: envelopeSchema.optional(),
  /** Only in public rooms: the file this message shares (body is then a caption, or empty). */
  file: messageFile.optional(),
  /** Its current state: edited, deleted, reactions, the message it replies to (event.ts). */
  ...messageState,
});
export type Message = z.infer<typeof message>;

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

/** An invitation of the user by name, as they see it. */
export const userInvite = z.object({
  room: roomId,
  name: z.string(),
  by: z.object({ id: z.int(), name: z.string() }).optional(),
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
  actor: z.object({ id: z.int(), name: z.string() }),
  action: z.string(),
  target: z.object({ id: z.int(), name: z.string() }).optional(),
  reason: z.string(),
  detail: z.string(),
  at: z.int(),
});

export const limits = z.object({
  maxFrameBytes: z.int(),
  maxMessageChars: z.int(),
  historyPageMax: z.int(),
  replayMax: z.int(),
  ratePerSecond: z.number(),
  rateBurst: z.int(),
  heartbeatSeconds: z.int(),
  /** The largest file upload taken, in bytes; absent from servers before it was added. */
  maxUploadBytes: z.int().optional(),
});
export type Limits = z.infer<typeof limits>;

const ref = z.string();

export const serverFrames = {
  hello: z.object({
    type: z.literal("hello"),
    user: userRef,
    server: z.object({ name: z.string(), version: z.string() }),
    limits,
  }),
  pong: z.object({ type: z.literal("pong"), ref }),
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
  ack: z.object({
    type: z.literal("ack"),
    ref,
    room: roomId,
    cid: z.string(),
    seq,
    ts: z.int(),
    duplicate: z.boolean(),
  }),
  msg: message.extend({ type: z.literal("msg") }),
  /** An event of the room's log (event.ts), in seq order with the messages. */
  event: roomEvent.extend({ type: z.literal("event") }),
  gap: z.object({ type: z.literal("gap"), room: roomId, from: seq, to: seq }),
  resumed: z.object({
    type: z.literal("resumed"),
    ref,
    rooms: z.array(z.object({ room: roomId, head: seq })),
    refused: z.array(z.object({ room: roomId, code: z.string() })),
  }),
  history: z.object({
    type: z.literal("history"),
    ref,
    room: roomId,
    messages: z.array(message),
    /** With `after`: the events in the same stretch of the log (a `before` page folds them in). */
    events: z.array(roomEvent).optional(),
    more: z.boolean(),
  }),
  members: z.object({ type: z.literal("members"), ref, room: roomId, members: z.array(member) }),
  ok: z.object({ type: z.literal("ok"), ref }),
  dm: z.object({ type: z.literal("dm"), ref, room: roomSummary }),
  /**
   * Ephemeral, to every socket: a public room was created (`by` is its creator, now its only
   * member; `room.joined` is false and `room.unread` 0, as for anyone else).
   */
  room_created: z.object({ type: z.literal("room_created"), room: roomSummary, by: userRef }),
  /** A new DM that includes you was opened elsewhere; this socket now receives it. */
  dm_opened: z.object({ type: z.literal("dm_opened"), room: roomSummary }),
  contacts: z.object({
    type: z.literal("contacts"),
    ref,
    contacts: z.array(member.omit({ online: true })),
    blocked: z.array(userRef),
    dmPolicy,
  }),
  devices: z.object({
    type: z.literal("devices"),
    ref,
    users: z.array(
      z.object({
        user: userRef,
        devices: z.array(deviceBundleSchema),
        /** The account's signed device list; absent when it has none yet. */
        list: deviceListSchema.optional(),
      }),
    ),
  }),
  backup: z.object({
    type: z.literal("backup"),
    ref,
    info: backupInfoSchema.optional(),
    items: z.array(z.object({ id: z.int(), item: z.string() })),
    more: z.boolean(),
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
  /** Ephemeral: someone joined or left the room. */
  notice: z.object({
    type: z.literal("notice"),
    room: roomId,
    user: userRef,
    event: z.enum(["joined", "left"]),
  }),
  /** Ephemeral: a user in this DM published or replaced a device: fetch its keys again. */
  devices_changed: z.object({ type: z.literal("devices_changed"), room: roomId, user: userRef }),
  /**
   * Ephemeral, to the room: a moderator acted on a member (`until`: a ban's or mute's end), for
   * member lists to refresh. The timeline shows the stored events (kick, ban, role) instead.
   */
  moderation: z.object({
    type: z.literal("moderation"),
    room: roomId,
    action: moderationAction,
    by: userRef,
    user: userRef,
    until: z.int().nullable().optional(),
    reason: z.string().optional(),
  }),
  /** To a removed user's sockets: they are out of the room and receive it no more. */
  removed: z.object({
    type: z.literal("removed"),
    room: roomId,
    reason: z.enum(["kicked", "banned", "deleted"]),
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
  error: z.object({
    type: z.literal("error"),
    ref: z.string().optional(),
    code: z.string(),
    message: z.string(),
    retryAfter: z.number().optional(),
  }),
  ...groupServerFrames,
} as const;

export type ServerFrameType = keyof typeof serverFrames;
export type ServerFrameOf<T extends ServerFrameType> = z.infer<(typeof serverFrames)[T]>;
export type ServerFrame = { [T in ServerFrameType]: ServerFrameOf<T> }[ServerFrameType];
export type ErrorFrame = ServerFrameOf<"error"> & { code: ErrorCode };
