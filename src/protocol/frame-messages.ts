/**
 * The frames of a room's ordered log: sending, events on messages, history and resume, read
 * marks, and the messages, acks and gaps the server answers with.
 */
import { z } from "zod";
import { envelopeSchema } from "../crypto/envelope-format.ts";
import { messageState, REQUESTED_KINDS, roomEvent } from "./event.ts";
import { body, clientId, fileId, ref, requestId, roomId, seq, userRef } from "./frame-fields.ts";
import { FILE_NAME_MAX, HISTORY_PAGE_MAX } from "./rules.ts";

export const messageClientFrames = {
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
  /** Notification (no reply): I have read the room up to seq. */
  read: z.object({ type: z.literal("read"), id: requestId.optional(), room: roomId, seq }),
} as const;

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

export const messageServerFrames = {
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
} as const;
