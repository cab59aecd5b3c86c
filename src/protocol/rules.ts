/** Validation rules that are part of the wire contract, shared by every client and the server. */

export const USERNAME_PATTERN = /^[A-Za-z0-9_-]{3,32}$/;
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const MESSAGE_MAX_CHARS = 4000;
export const TOPIC_MAX_CHARS = 200;
export const CLIENT_ID_MAX = 64;
export const HISTORY_PAGE_MAX = 200;
export const HISTORY_PAGE_DEFAULT = 50;
/** Public rooms the user has not joined, listed per page (joined rooms and DMs always come). */
export const ROOM_PAGE_DEFAULT = 100;
export const ROOM_PAGE_MAX = 500;
/** Longest file name kept for an upload, in UTF-16 units. */
export const FILE_NAME_MAX = 255;
/** File ids: 128 random bits in base64url. */
export const FILE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** Image types a browser may show inline; every other file is served as an attachment. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);
/** Devices (each with its own keys) one user may publish. */
export const DEVICES_PER_USER_MAX = 10;
/** Encrypted key backup: items per account, characters per item, items per page. */
export const BACKUP_ITEMS_MAX = 10_000;
export const BACKUP_ITEM_CHARS_MAX = 30_000;
export const BACKUP_PAGE_MAX = 100;
/** At most one typing notice per user and room is relayed in this window. */
export const TYPING_INTERVAL_MS = 3000;
/** Clients stop showing "is typing" this long after the last notice. */
export const TYPING_EXPIRY_MS = 6000;

/** A DM's conversation id, which its sealed envelopes must carry (binds them to the room). */
export function dmConversation(room: number): string {
  return `dm:${room}`;
}

/** Names are unique regardless of case: this is the key they are compared by. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** Message length in Unicode code points (not UTF-16 units), so an emoji counts once. */
export function messageLength(body: string): number {
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/**
 * 1 to 4000 code points, not all white space, valid Unicode (no lone surrogates, which storage
 * would turn into U+FFFD, so history would differ from what was delivered) and no NUL (which
 * PostgreSQL cannot store). Short bodies skip the count: UTF-16 units >= code points.
 */
export function isValidMessage(body: string): boolean {
  if (body.trim().length === 0 || !body.isWellFormed() || body.includes("\u0000")) return false;
  if (body.length <= MESSAGE_MAX_CHARS) return true;
  return body.length <= 2 * MESSAGE_MAX_CHARS && messageLength(body) <= MESSAGE_MAX_CHARS;
}

/** A group's conversation id: its envelopes and membership versions must carry it. */
export function groupConversation(room: number): string {
  return `group:${room}`;
}
