/**
 * Every WebSocket frame, defined once: zod schemas give the server and every client the same
 * runtime validation and the same static types. docs/protocol.md is the prose of these files.
 *
 * Each concept keeps its frames in its own module (frame-messages.ts, frame-rooms.ts,
 * frame-community.ts, frame-social.ts, frame-devices.ts, group-frames.ts); this one holds the connection's own
 * frames and joins them all into the two tables, `clientFrames` and `serverFrames`, that the
 * codec checks and both clients and the server type against. A new frame goes in its concept's
 * module; a new concept adds its group here.
 */
import { z } from "zod";
import type { ErrorCode } from "./errors.ts";
import { communityClientFrames, communityServerFrames } from "./frame-community.ts";
import { deviceClientFrames, deviceServerFrames } from "./frame-devices.ts";
import { ref, requestId, userRef } from "./frame-fields.ts";
import { messageClientFrames, messageServerFrames } from "./frame-messages.ts";
import { roomClientFrames, roomServerFrames } from "./frame-rooms.ts";
import { socialClientFrames, socialServerFrames } from "./frame-social.ts";
import { groupClientFrames, groupServerFrames } from "./group-frames.ts";

export {
  auditEntry,
  inviteView,
  moderationAction,
  userInvite,
} from "./frame-community.ts";
export { type UserRef, type UserStatus, userRef, userStatus } from "./frame-fields.ts";
export { type Message, type MessageFile, message, messageFile } from "./frame-messages.ts";
export {
  type Member,
  member,
  type RoomKind,
  type RoomRole,
  type RoomSummary,
  roomKind,
  roomRole,
  roomSummary,
  roomVisibility,
} from "./frame-rooms.ts";
export { type DmPolicy, dmPolicy } from "./frame-social.ts";

/** Joins groups of frames into one table; a type defined by two groups is a bug, found at load. */
function table<T extends object>(merged: T, ...groups: object[]): T {
  const total = groups.reduce((n, group) => n + Object.keys(group).length, 0);
  if (Object.keys(merged).length !== total) throw new Error("two frame groups define one type");
  return merged;
}

const connectionClientFrames = {
  ping: z.object({ type: z.literal("ping"), id: requestId }),
} as const;

/** Client → server. Every request carries an `id`; the reply quotes it as `ref`. */
export const clientFrames = table(
  {
    ...connectionClientFrames,
    ...roomClientFrames,
    ...messageClientFrames,
    ...socialClientFrames,
    ...communityClientFrames,
    ...deviceClientFrames,
    ...groupClientFrames,
  } as const,
  connectionClientFrames,
  roomClientFrames,
  messageClientFrames,
  socialClientFrames,
  communityClientFrames,
  deviceClientFrames,
  groupClientFrames,
);

/** Frames that are notifications: they carry no required id and get no reply on success. */
export const NOTIFICATIONS: ReadonlySet<string> = new Set(["typing", "read"]);

export type ClientFrameType = keyof typeof clientFrames;
export type ClientFrameOf<T extends ClientFrameType> = z.infer<(typeof clientFrames)[T]>;
export type ClientFrame = { [T in ClientFrameType]: ClientFrameOf<T> }[ClientFrameType];

// ---- Server → client ----

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

const connectionServerFrames = {
  hello: z.object({
    type: z.literal("hello"),
    user: userRef,
    server: z.object({ name: z.string(), version: z.string() }),
    limits,
  }),
  pong: z.object({ type: z.literal("pong"), ref }),
  ok: z.object({ type: z.literal("ok"), ref }),
  error: z.object({
    type: z.literal("error"),
    ref: z.string().optional(),
    code: z.string(),
    message: z.string(),
    retryAfter: z.number().optional(),
  }),
} as const;

export const serverFrames = table(
  {
    ...connectionServerFrames,
    ...roomServerFrames,
    ...messageServerFrames,
    ...socialServerFrames,
    ...communityServerFrames,
    ...deviceServerFrames,
    ...groupServerFrames,
  } as const,
  connectionServerFrames,
  roomServerFrames,
  messageServerFrames,
  socialServerFrames,
  communityServerFrames,
  deviceServerFrames,
  groupServerFrames,
);

export type ServerFrameType = keyof typeof serverFrames;
export type ServerFrameOf<T extends ServerFrameType> = z.infer<(typeof serverFrames)[T]>;
export type ServerFrame = { [T in ServerFrameType]: ServerFrameOf<T> }[ServerFrameType];
export type ErrorFrame = ServerFrameOf<"error"> & { code: ErrorCode };
