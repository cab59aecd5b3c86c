/** The error catalogue: every code a client can ever see, its HTTP status, and its default text. */

export const ERRORS = {
  BAD_FRAME: { status: 400, message: "The frame is not a JSON object." },
  FRAME_TOO_LARGE: { status: 413, message: "The frame is larger than the limit." },
  UNKNOWN_TYPE: { status: 400, message: "Unknown frame type." },
  INVALID: { status: 400, message: "The request is not valid." },
  BODY_TOO_LARGE: { status: 413, message: "The request body is larger than the limit." },
  NOT_FOUND: { status: 404, message: "No such endpoint." },
  UNAUTHENTICATED: { status: 401, message: "A valid session token is required." },
  INVALID_CREDENTIALS: { status: 401, message: "Unknown username or wrong password." },
  WRONG_PASSWORD: { status: 403, message: "The current password is wrong." },
  SESSION_NOT_FOUND: { status: 404, message: "You have no session with that id." },
  THROTTLED: { status: 429, message: "Too many attempts. Wait before trying again." },
  RATE_LIMITED: { status: 429, message: "Too many requests. Slow down." },
  TOO_MANY_CONNECTIONS: { status: 429, message: "Too many open connections." },
  FORBIDDEN_ORIGIN: { status: 403, message: "Requests from this web origin are not allowed." },
  INVALID_USERNAME: {
    status: 400,
    message: "Usernames are 3 to 32 characters: letters, digits, '_' and '-'.",
  },
  INVALID_PASSWORD: { status: 400, message: "Passwords are 8 to 256 characters." },
  USERNAME_TAKEN: { status: 409, message: "That username is taken." },
  INVALID_ROOM_NAME: {
    status: 400,
    message:
      "Room names are 2 to 32 characters: letters, digits, '_' and '-', starting with a letter or digit.",
  },
  ROOM_NAME_TAKEN: { status: 409, message: "A room with that name already exists." },
  ROOM_NOT_FOUND: { status: 404, message: "No such room." },
  TOO_MANY_ROOMS: { status: 409, message: "You have created as many rooms as this server allows." },
  NOT_MEMBER: { status: 403, message: "You are not a member of that room." },
  INVALID_MESSAGE: {
    status: 400,
    message: "Messages are 1 to 4000 characters of valid text (no NUL, no lone surrogates).",
  },
  USER_NOT_FOUND: { status: 404, message: "No such user." },
  ALREADY_MEMBER: { status: 409, message: "That user is a member of this room already." },
  DM_REFUSED: { status: 403, message: "This person is not accepting your messages." },
  SEALED_ONLY: {
    status: 400,
    message: "Direct messages must be end-to-end encrypted: send an envelope, not a body.",
  },
  BAD_ENVELOPE: {
    status: 400,
    message: "The envelope does not belong to this conversation or sender.",
  },
  FILE_TOO_LARGE: { status: 413, message: "The file is larger than this server accepts." },
  FILE_NOT_FOUND: { status: 404, message: "No such file." },
  QUOTA_EXCEEDED: { status: 413, message: "That upload would pass your file quota." },
  DISK_FULL: {
    status: 507,
    message: "The server is low on disk space and takes no uploads for now.",
  },
  BAD_BUNDLE: { status: 400, message: "The device keys are not validly signed by their owner." },
  TOO_MANY_DEVICES: { status: 409, message: "Too many devices: at most 10 per user." },
  BAD_DEVICE_LIST: {
    status: 400,
    message: "The device list is not validly signed, or names someone else or a device twice.",
  },
  STALE_DEVICE_LIST: {
    status: 409,
    message: "A device list of the same or a newer version is already published.",
  },
  BAD_BACKUP: {
    status: 400,
    message: "The key backup is not signed by the account key of the published device list.",
  },
  NO_BACKUP: { status: 409, message: "This account has no key backup; create one first." },
  BACKUP_FULL: { status: 409, message: "The key backup is full: at most 10000 items." },
  ACCOUNT_KEY_CHANGED: {
    status: 409,
    message: "Another account key signed the published device list; reset it to replace it.",
  },
  UNAVAILABLE: {
    status: 503,
    message: "The server cannot reach its storage right now. Try again shortly.",
  },
  BUSY: { status: 503, message: "The server is busy. Try again shortly." },
  OUT_OF_SCOPE: {
    status: 403,
    message: "This bot token may not do that, or not in that room.",
  },
  BOT_NOT_FOUND: { status: 404, message: "You have no bot with that id." },
  TOKEN_NOT_FOUND: { status: 404, message: "That bot has no live token with that id." },
  MESSAGE_NOT_FOUND: { status: 404, message: "No message with that seq in this room." },
  MESSAGE_DELETED: { status: 409, message: "That message was deleted." },
  NOT_AUTHOR: { status: 403, message: "Only its author may edit a message." },
  DELETE_FORBIDDEN: {
    status: 403,
    message: "Only its author (or a moderator of the room) may delete a message.",
  },
  INVALID_REACTION: { status: 400, message: "A reaction is one emoji." },
  TOO_MANY_REACTIONS: { status: 409, message: "That message carries as many emoji as it may." },
  REPLY_NOT_FOUND: { status: 404, message: "The message replied to is not in this room." },
  INVALID_SEARCH: { status: 400, message: "Search for 1 to 200 characters of text." },
  MUTED: { status: 403, message: "You are muted in this room: you may read but not send." },
  ROOM_ARCHIVED: { status: 403, message: "This room is archived: it may be read but not written." },
  BANNED: { status: 403, message: "You are banned from this room." },
  NOT_ALLOWED: { status: 403, message: "Your role in this room does not allow that." },
  BAD_MEMBERSHIP: {
    status: 400,
    message:
      "That membership change is not the group's next version signed by you, or not yours to make.",
  },
  GROUP_MANAGED: {
    status: 409,
    message:
      "An encrypted group's members are its signed membership versions: use /group add, remove or leave.",
  },
  OUTRANKED: {
    status: 403,
    message: "You cannot act on a member whose role is equal to or above yours.",
  },
  LAST_OWNER: {
    status: 409,
    message: "You own this room: hand ownership to another member before you leave.",
  },
  INVITE_NOT_FOUND: {
    status: 404,
    message: "No such invite, or it has expired, been used up or been revoked.",
  },
  REPORT_NOT_FOUND: { status: 404, message: "This room has no open report with that id." },
  REGISTRATION_CLOSED: {
    status: 403,
    message: "This server takes no registrations: an administrator creates accounts.",
  },
  ACCOUNT_DISABLED: { status: 403, message: "This account is disabled." },
  NOT_ADMIN: { status: 403, message: "Only a server administrator may do that." },
  INVALID_SETTINGS: {
    status: 400,
    message: "The settings are not valid: see docs/protocol.md for their fields and limits.",
  },
  INTERNAL: { status: 500, message: "Internal server error." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The one error type that crosses the wire: anything else becomes INTERNAL at the boundary. */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds until a throttled or rate-limited request may succeed. */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { retryAfter?: number; cause?: unknown },
  ) {
    super(message ?? ERRORS[code].message, { cause: options?.cause });
    this.name = "ParleyError";
    this.code = code;
    this.status = ERRORS[code].status;
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryAfter?: number;
}

/** What a client is told about any thrown value: a ParleyError as is, anything else as INTERNAL. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ParleyError) {
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.retryAfter !== undefined) body.retryAfter = err.retryAfter;
    return body;
  }
  return { code: "INTERNAL", message: ERRORS.INTERNAL.message };
}
