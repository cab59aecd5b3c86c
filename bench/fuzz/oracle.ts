/**
 * What the server must answer to each fuzz frame, worked out from the frame alone: the text the
 * server sees (the WebSocket carries UTF-8, so lone surrogates arrive as U+FFFD), the protocol's
 * own decoder, and for each request type the replies and refusals that are legitimate.
 */
import {
  type ClientFrame,
  type ClientFrameType,
  decodeClientFrame,
  ERRORS,
  type ErrorCode,
  HISTORY_PAGE_DEFAULT,
  NOTIFICATIONS,
  type ServerFrame,
} from "../../src/protocol/index.ts";
import { HARD_FRAME_BYTES } from "./generator.ts";

export type Expectation =
  /** Decoded: a reply of the right type quoting the id, or a legitimate refusal. */
  | { kind: "reply"; ref: string; frame: ClientFrame }
  /** Refused by the decoder: exactly this code, quoting the id when it could be read. */
  | { kind: "error"; ref: string | undefined; code: ErrorCode }
  /** Past the hard limit: the socket is closed with 1009. */
  | { kind: "close"; code: 1009 }
  /** A valid frame without a request id (a notification): nothing to answer. */
  | { kind: "none" }
  /** A notification with an id: silent on success, an error quoting the id on refusal. */
  | { kind: "maybe"; ref: string; frame: ClientFrame };

// Partial: frame types added to the protocol later are judged only on quoting their id.
const REPLY_TYPE: Partial<Record<ClientFrameType, ServerFrame["type"]>> = {
  ping: "pong",
  rooms: "rooms",
  create: "created",
  join: "joined",
  leave: "left",
  send: "ack",
  resume: "resumed",
  history: "history",
  members: "members",
};

/** Handler refusals that are correct answers to well-formed requests. RATE_LIMITED fits any. */
const REFUSALS: Partial<Record<ClientFrameType, readonly ErrorCode[]>> = {
  ping: [],
  rooms: [],
  create: ["INVALID_ROOM_NAME", "ROOM_NAME_TAKEN", "INVALID"],
  join: ["ROOM_NOT_FOUND"],
  // LAST_OWNER: a room's only owner leaving while others stay (communities).
  leave: ["ROOM_NOT_FOUND", "NOT_MEMBER", "LAST_OWNER"],
  // INVALID, SEALED_ONLY, BAD_ENVELOPE, DM_REFUSED: a body where an envelope belongs, or back.
  send: [
    "INVALID_MESSAGE",
    "NOT_MEMBER",
    "ROOM_NOT_FOUND",
    "BUSY",
    "INVALID",
    "SEALED_ONLY",
    "BAD_ENVELOPE",
    "DM_REFUSED",
  ],
  resume: [],
  history: ["INVALID", "NOT_MEMBER", "ROOM_NOT_FOUND"],
  members: ["NOT_MEMBER", "ROOM_NOT_FOUND"],
  dm: ["USER_NOT_FOUND", "INVALID", "DM_REFUSED"],
  contact_add: ["USER_NOT_FOUND", "INVALID"],
  contact_remove: ["USER_NOT_FOUND", "INVALID"],
  block: ["USER_NOT_FOUND", "INVALID"],
  unblock: ["USER_NOT_FOUND", "INVALID"],
};

/** True when the reply is an error the frame's listed refusals name (not merely allowed). */
export function refusalListed(e: Expectation, reply: ServerFrame): boolean {
  if (e.kind !== "reply" || reply.type !== "error") return false;
  return REFUSALS[e.frame.type]?.includes(reply.code as ErrorCode) ?? false;
}

/** The text the server receives for a text frame: UTF-8 replaces lone surrogates with U+FFFD. */
export function onTheWire(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

export function expectationFor(
  data: string | Uint8Array<ArrayBuffer>,
  maxFrameBytes: number,
): Expectation {
  if (typeof data !== "string") {
    if (data.byteLength > HARD_FRAME_BYTES) return { kind: "close", code: 1009 };
    return { kind: "error", ref: undefined, code: "BAD_FRAME" };
  }
  const text = onTheWire(data);
  if (text.length > HARD_FRAME_BYTES / 3 && Buffer.byteLength(text) > HARD_FRAME_BYTES) {
    return { kind: "close", code: 1009 };
  }
  const decoded = decodeClientFrame(text, maxFrameBytes);
  if (decoded.ok) {
    const id = (decoded.frame as { id?: string }).id;
    if (id === undefined) return { kind: "none" };
    if (NOTIFICATIONS.has(decoded.frame.type))
      return { kind: "maybe", ref: id, frame: decoded.frame };
    return { kind: "reply", ref: id, frame: decoded.frame };
  }
  return { kind: "error", ref: decoded.ref, code: decoded.error.code };
}

/** Why a server error frame is malformed in itself, or undefined when it is fine. */
export function errorFrameProblem(f: ServerFrame & { type: "error" }): string | undefined {
  if (!Object.hasOwn(ERRORS, f.code)) return `unknown error code "${f.code}"`;
  if (f.code === "INTERNAL") return "INTERNAL: the server hit a bug (see its log)";
  if (f.message.length === 0) return "empty error message";
  if (f.retryAfter !== undefined && f.code !== "RATE_LIMITED") {
    return `retryAfter on ${f.code}`;
  }
  if (f.code === "RATE_LIMITED" && !(typeof f.retryAfter === "number" && f.retryAfter >= 0)) {
    return "RATE_LIMITED without retryAfter";
  }
  return undefined;
}

/** Whether `reply` is a correct answer to the expectation; a reason when it is not. */
export function judgeReply(e: Expectation, reply: ServerFrame): string | undefined {
  if (e.kind === "none") return `a reply to a frame that asks for none: ${reply.type}`;
  if (e.kind === "maybe") {
    if (reply.type !== "error") return `a ${reply.type} reply to a notification`;
    return reply.code === "RATE_LIMITED" || reply.code !== "INTERNAL" ? undefined : "INTERNAL";
  }
  if (e.kind === "close") return `expected a 1009 close, got ${reply.type}`;
  if (e.kind === "error") {
    if (reply.type !== "error") return `expected error ${e.code}, got ${reply.type}`;
    if (reply.code !== e.code) return `expected error ${e.code}, got ${reply.code}`;
    return undefined;
  }
  const frame = e.frame;
  if (reply.type === "error") {
    if (reply.code === "RATE_LIMITED") return undefined;
    const refusals = REFUSALS[frame.type];
    if (!refusals || refusals.includes(reply.code as ErrorCode)) return undefined;
    return `${frame.type} refused with ${reply.code}: ${reply.message}`;
  }
  const expected = REPLY_TYPE[frame.type];
  if (expected === undefined) return undefined;
  if (reply.type !== expected) {
    return `${frame.type} answered with ${reply.type}`;
  }
  return replyContentProblem(frame, reply);
}

function replyContentProblem(frame: ClientFrame, reply: ServerFrame): string | undefined {
  switch (frame.type) {
    case "send":
      if (reply.type !== "ack") return undefined;
      // A duplicate's ack describes the original message, which may be in another room.
      if (reply.duplicate) return undefined;
      if (reply.room !== frame.room) return `ack for room ${reply.room}, sent to ${frame.room}`;
      if (reply.cid !== frame.cid) return "ack quotes another cid";
      return undefined;
    case "leave":
      return reply.type === "left" && reply.room !== frame.room ? "left another room" : undefined;
    case "members":
      return reply.type === "members" && reply.room !== frame.room
        ? "members of another room"
        : undefined;
    case "join":
      if (reply.type !== "joined") return undefined;
      if (frame.room !== undefined && reply.room.id !== frame.room) return "joined another room";
      if (frame.name !== undefined && reply.room.name.toLowerCase() !== frame.name.toLowerCase()) {
        return "joined a room of another name";
      }
      return undefined;
    case "create":
      return reply.type === "created" && reply.room.name !== frame.name
        ? "created a room of another name"
        : undefined;
    case "resume":
      if (reply.type !== "resumed") return undefined;
      {
        // Each distinct room is answered once (a room listed twice is resumed once).
        const listed = new Set(frame.rooms.map((r) => r.room)).size;
        const answered = reply.rooms.length + reply.refused.length;
        if (answered !== listed) return `resume of ${listed} rooms answered for ${answered}`;
        return undefined;
      }
    case "history": {
      if (reply.type !== "history") return undefined;
      if (reply.room !== frame.room) return "history of another room";
      const limit = frame.limit ?? HISTORY_PAGE_DEFAULT;
      if (reply.messages.length > limit)
        return `history page of ${reply.messages.length} > ${limit}`;
      // A stretch of the log: its messages and the events among them (joins, leaves…).
      const entries = [...reply.messages, ...(reply.events ?? [])].sort((x, y) => x.seq - y.seq);
      for (let i = 1; i < entries.length; i++) {
        const a = entries[i - 1];
        const b = entries[i];
        if (a && b && b.seq !== a.seq + 1)
          return `history page not contiguous (${a.seq}, ${b.seq})`;
      }
      const first = reply.messages[0];
      const last = reply.messages[reply.messages.length - 1];
      if (frame.after !== undefined && first && first.seq <= frame.after)
        return "history not after";
      if (frame.before !== undefined && last && last.seq >= frame.before)
        return "history not before";
      if (reply.messages.some((m) => m.room !== frame.room)) return "history holds another room";
      return undefined;
    }
    default:
      return undefined;
  }
}
