/**
 * Every WebSocket frame, defined once: zod schemas give the server and every client the same
 * runtime validation and the same static types. docs/protocol.md is the prose of this file.
 */
import { z } from "zod";
import type { ErrorCode } from "./errors.ts";
import { CLIENT_ID_MAX, HISTORY_PAGE_MAX, TOPIC_MAX_CHARS } from "./rules.ts";

const requestId = z.string().min(1).max(64);
const roomId = z.int().min(1).max(Number.MAX_SAFE_INTEGER);
const seq = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
// Bodies are checked in code points by the handler (INVALID_MESSAGE); this only bounds the work.
const body = z.string().max(16_000);

/** Client → server. Every request carries an `id`; the reply quotes it as `ref`. */
export const clientFrames = {
  ping: z.object({ type: z.literal("ping"), id: requestId }),
  rooms: z.object({ type: z.literal("rooms"), id: requestId }),
  create: z.object({
    type: z.literal("create"),
    id: requestId,
    name: z.string().max(64),
    topic: z.string().max(TOPIC_MAX_CHARS).optional(),
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
  send: z.object({
    type: z.literal("send"),
    id: requestId,
    room: roomId,
    cid: z.string().min(1).max(CLIENT_ID_MAX),
    body,
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
} as const;

export type ClientFrameType = keyof typeof clientFrames;
export type ClientFrameOf<T extends ClientFrameType> = z.infer<(typeof clientFrames)[T]>;
export type ClientFrame = { [T in ClientFrameType]: ClientFrameOf<T> }[ClientFrameType];

// ---- Server → client ----

export const userRef = z.object({ id: z.int(), name: z.string() });
export type UserRef = z.infer<typeof userRef>;

export const message = z.object({
  room: roomId,
  seq,
  ts: z.int(),
  from: userRef,
  cid: z.string(),
  body: z.string(),
});
export type Message = z.infer<typeof message>;

export const roomSummary = z.object({
  id: roomId,
  name: z.string(),
  topic: z.string(),
  members: z.int(),
  online: z.int(),
  joined: z.boolean(),
  head: seq,
});
export type RoomSummary = z.infer<typeof roomSummary>;

export const member = z.object({ id: z.int(), name: z.string(), online: z.boolean() });
export type Member = z.infer<typeof member>;

export const limits = z.object({
  maxFrameBytes: z.int(),
  maxMessageChars: z.int(),
  historyPageMax: z.int(),
  replayMax: z.int(),
  ratePerSecond: z.number(),
  rateBurst: z.int(),
  heartbeatSeconds: z.int(),
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
  rooms: z.object({ type: z.literal("rooms"), ref, rooms: z.array(roomSummary) }),
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
    more: z.boolean(),
  }),
  members: z.object({ type: z.literal("members"), ref, room: roomId, members: z.array(member) }),
  error: z.object({
    type: z.literal("error"),
    ref: z.string().optional(),
    code: z.string(),
    message: z.string(),
    retryAfter: z.number().optional(),
  }),
} as const;

export type ServerFrameType = keyof typeof serverFrames;
export type ServerFrameOf<T extends ServerFrameType> = z.infer<(typeof serverFrames)[T]>;
export type ServerFrame = { [T in ServerFrameType]: ServerFrameOf<T> }[ServerFrameType];
export type ErrorFrame = ServerFrameOf<"error"> & { code: ErrorCode };
