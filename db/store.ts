/**
 * The store interface: everything Parley keeps. One implementation per backend, store-sqlite.ts
 * and store-postgres.ts, both held to tests/store-contract.test.ts. Only what opens a store
 * (src/server/server.ts from the config, src/server/backup.ts, the bench and the db/ scripts)
 * names a backend; every other module receives a Store. Methods are async so that a networked
 * backend fits; expected outcomes are values, not throws.
 */
import type {
  DmPolicy,
  EventKind,
  Message,
  MessageFile,
  RoomEvent,
  RoomKind,
  SearchHit,
  UserRef,
} from "../src/protocol/index.ts";
import type {
  AccountRecord,
  AuditBy,
  AuditEntry,
  InviteRecord,
  InviteRedemption,
  ModerationRecord,
  NewInvite,
  ReportRecord,
  RoomStanding,
  RoomVisibility,
  UserInvite,
} from "./community-records.ts";
import type { LogEntry } from "./log-entry.ts";

export * from "./community-records.ts";
export type { LogEntry } from "./log-entry.ts";
export { entryFrame, isEvent } from "./log-entry.ts";

export interface UserRecord {
  id: number;
  name: string;
  passwordHash: string;
}

export interface SessionRecord {
  user: UserRef;
  expiresAt: number;
}

/** A session as its owner sees it listed. */
export interface SessionInfo {
  /** SHA-256 of the token, hex: the key to revoke it by; the token itself is never stored. */
  tokenHash: string;
  createdAt: number;
  /** The last WebSocket connection or login with it (0 when never recorded). */
  lastSeenAt: number;
  expiresAt: number;
  /** The client's User-Agent when last seen, cut to 200 characters ("" when unknown). */
  agent: string;
}

export interface RoomRecord {
  id: number;
  kind: RoomKind;
  /** A private room is unlisted and, to anyone not a member, does not exist. DMs read "private". */
  visibility: RoomVisibility;
  name: string;
  topic: string;
  createdAt: number;
  /** The last seq handed out in the room (0 when it has no messages). */
  head: number;
  members: number;
  archivedAt?: number | null | undefined; // when archived (read-only for good), else null
}

export interface AppendRequest {
  room: number;
  sender: UserRef;
  cid: string;
  /** The text, or for a sealed (end-to-end encrypted) message its envelope as JSON. */
  body: string;
  /** True when body is an envelope. @default false */
  sealed?: boolean;
  /** The file the message shares (public rooms only); stored with it as it was then. */
  file?: MessageFile | undefined;
  /** The seq of the message in the same room this one replies to. */
  reply?: number | undefined;
  /**
   * Makes this an event of the room's log rather than a message: `body` is then the edit's new
   * text, a reaction's emoji, "" for a delete, or (sealed) the envelope of the change.
   */
  event?: EventChange | undefined;
  ts: number;
}

/** What an event does, as the store applies it in the append's transaction. */
export interface EventChange {
  kind: EventKind;
  /** The message it changes. */
  target?: number | undefined;
  /** react: added (true) or taken back (false). */
  on?: boolean | undefined;
  /** kick, ban, role: the member acted on (kept in the row's data). */
  user?: UserRef | undefined;
}

/** Why an append stored nothing for one request. */
export type AppendRefusal =
  | "NOT_MEMBER"
  | "ROOM_NOT_FOUND"
  | "MESSAGE_NOT_FOUND"
  | "MESSAGE_DELETED"
  | "TOO_MANY_REACTIONS"
  | "REPLY_NOT_FOUND"
  | "MUTED"
  | "ROOM_ARCHIVED";

/** An uploaded file's metadata; its bytes live in the blob store under `sha256`. */
export interface FileRecord {
  /** Random and unguessable: 128 bits, base64url. */
  id: string;
  /** The room (or DM) it was uploaded to: only its members may download it. */
  room: number;
  uploader: number;
  /** Hex SHA-256 of the stored bytes (ciphertext for a DM file): the blob's address. */
  sha256: string;
  size: number;
  /** Absent for a DM file: the server must not learn it. */
  name?: string | undefined;
  /** Absent for a DM file. */
  type?: string | undefined;
  createdAt: number;
}

/** A room the user belongs to, with what they have read of it. */
export interface MembershipRecord {
  room: number;
  lastRead: number;
  /** Messages from others past lastRead, counted up to UNREAD_COUNT_MAX. */
  unread: number;
  /** Of those, the ones that @mention the member (public rooms), counted the same way. */
  mentions?: number;
}

/** Seconds a client is told to wait (retryAfter) when the store meets an outage. */
export const OUTAGE_RETRY_AFTER_S = 1;

/** The most unread messages counted per room; clients show more as "999+". */
export const UNREAD_COUNT_MAX = 1000;

export interface DmRecord extends RoomRecord {
  peer: UserRef;
}

/** A bot: a user made and owned by another user. */
export interface BotRecord {
  id: number;
  name: string;
  owner: number;
  createdAt: number;
}

export type BotTokenKind = "api" | "webhook";

/** A bot's long-lived token (only its hash is stored); live unless revokedAt is set. */
export interface BotTokenRecord {
  id: number;
  bot: UserRef;
  /** The user who owns the bot. */
  owner: number;
  kind: BotTokenKind;
  /** The rooms the token may use; a webhook's holds exactly one. */
  rooms: number[];
  createdAt: number;
  revokedAt?: number | undefined;
}

export interface NewBotToken {
  botId: number;
  kind: BotTokenKind;
  tokenHash: string;
  rooms: readonly number[];
  now: number;
}

/** A search of the public rooms a user is a member of, newest first. */
export interface SearchQuery {
  /** Words (searchTerms): every one must match, each as a prefix. At least one. */
  terms: readonly string[];
  /** Only this room. */
  room?: number | undefined;
  /** Only hits older than this one (the last hit of the page before). */
  before?: { ts: number; room: number; seq: number } | undefined;
  limit: number;
}

export type AppendResult =
  | { ok: true; message: Message; event?: undefined; duplicate: boolean }
  | { ok: true; event: RoomEvent; message?: undefined; duplicate: boolean }
  | { ok: false; code: AppendRefusal };

export interface Store {
  createUser(name: string, passwordHash: string, now: number): Promise<UserRecord | "taken">;
  findUser(name: string): Promise<UserRecord | undefined>;
  findUserById(id: number): Promise<UserRef | undefined>;

  createSession(userId: number, tokenHash: string, now: number, expiresAt: number): Promise<void>;
  /** The live session for a token hash, or undefined when unknown or expired. */
  findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined>;
  deleteSession(tokenHash: string): Promise<boolean>;
  /** Deletes expired sessions (and expired WebSocket tickets); the count of sessions deleted. */
  deleteExpiredSessions(now: number): Promise<number>;
  /** The user's live sessions, the most recently created first. */
  listSessions(userId: number, now: number): Promise<SessionInfo[]>;
  /** Deletes the user's sessions, all or all but `keep`; the token hashes it deleted. */
  deleteSessionsOf(userId: number, keep?: string): Promise<string[]>;
  /** Records a session's latest use, and the client's User-Agent when given. */
  touchSession(tokenHash: string, now: number, agent?: string): Promise<void>;
  setPassword(userId: number, passwordHash: string): Promise<void>;
  /** Stores a WebSocket ticket's hash for a session until expiresAt. */
  createTicket(ticketHash: string, tokenHash: string, expiresAt: number): Promise<void>;
  /** The session token hash of a live ticket, deleting the ticket: each works once. */
  consumeTicket(ticketHash: string, now: number): Promise<string | undefined>;

  /** Creates the room and makes the creator its first member (its owner), atomically. */
  createRoom(
    name: string,
    topic: string,
    creatorId: number,
    now: number,
    visibility?: RoomVisibility,
  ): Promise<RoomRecord | "taken">;
  findRoom(id: number): Promise<RoomRecord | undefined>;
  /** Rooms, public or private: DM rooms are never found by name. */
  findRoomByName(name: string): Promise<RoomRecord | undefined>;
  /** The public rooms (not DMs, not private rooms). */
  listRooms(): Promise<RoomRecord[]>;
  /** Up to `limit` public (not private) rooms whose name key sorts after `after` (by code point), in order. */
  listRoomsPage(after: string | undefined, limit: number): Promise<RoomRecord[]>;
  /** The rooms (public or private, not DMs) the user is a member of, by name key. */
  joinedRooms(userId: number): Promise<RoomRecord[]>;
  /** How many public rooms the user created (and still exist). */
  countRoomsCreatedBy(userId: number): Promise<number>;

  /** True when the user was not a member before. */
  addMember(roomId: number, userId: number, now: number): Promise<boolean>;
  /** True when the user was a member before. */
  removeMember(roomId: number, userId: number): Promise<boolean>;
  isMember(roomId: number, userId: number): Promise<boolean>;
  roomsOf(userId: number): Promise<number[]>;
  memberships(userId: number): Promise<MembershipRecord[]>;
  /** Raises the member's read marker to seq (never lowers it). */
  markRead(roomId: number, userId: number, seq: number): Promise<void>;
  membersOf(roomId: number): Promise<UserRef[]>;

  /** The DM room of two users, created (both as members) on first use. */
  openDm(userId: number, peerId: number, now: number): Promise<DmRecord & { created: boolean }>;
  /** The two users of a DM room, or undefined for a public room. */
  dmUsers(roomId: number): Promise<[number, number] | undefined>;
  listDms(userId: number): Promise<DmRecord[]>;

  /** True when it was not a contact before. */
  addContact(userId: number, contactId: number, now: number): Promise<boolean>;
  removeContact(userId: number, contactId: number): Promise<boolean>;
  contactsOf(userId: number): Promise<UserRef[]>;
  isContact(userId: number, contactId: number): Promise<boolean>;
  block(userId: number, blockedId: number, now: number): Promise<boolean>;
  unblock(userId: number, blockedId: number): Promise<boolean>;
  blockedBy(userId: number): Promise<UserRef[]>;
  /** True when userId has blocked otherId. */
  hasBlocked(userId: number, otherId: number): Promise<boolean>;
  /** The ids of the users who have blocked userId. */
  blockersOf(userId: number): Promise<number[]>;
  /** The ids of the users who have userId among their contacts. */
  acceptedBy(userId: number): Promise<number[]>;
  dmPolicy(userId: number): Promise<DmPolicy>;
  setDmPolicy(userId: number, policy: DmPolicy): Promise<void>;

  /** Stores or replaces a device's public bundle (JSON); "too-many" past maxDevices. */
  putDevice(
    userId: number,
    deviceId: string,
    bundle: string,
    now: number,
    maxDevices: number,
  ): Promise<"ok" | "too-many">;
  /** Every published bundle (JSON) of each user asked for. */
  devicesOf(userIds: readonly number[]): Promise<Map<number, string[]>>;
  /**
   * Stores a user's signed device list (JSON) under identity key `key`: "stale" unless `version`
   * is above the stored one, "key-changed" if another key signed the stored one and `replaceKey`
   * is false. With replaceKey the new key's list replaces the old at any version.
   */
  putDeviceList(
    userId: number,
    key: string,
    version: number,
    list: string,
    now: number,
    replaceKey: boolean,
  ): Promise<"ok" | "stale" | "key-changed">;
  /** The stored signed device list (JSON) of each user asked for who has one. */
  deviceListsOf(userIds: readonly number[]): Promise<Map<number, string>>;

  /** Replaces a user's key backup info (JSON); the items sealed to the old one go with it. */
  putKeyBackup(userId: number, info: string, now: number): Promise<void>;
  /** The user's key backup info (JSON), or undefined. */
  keyBackup(userId: number): Promise<string | undefined>;
  /** Adds an opaque backup item: "no-backup" without info, "full" at maxItems. */
  addBackupItem(
    userId: number,
    item: string,
    now: number,
    maxItems: number,
  ): Promise<"ok" | "full" | "no-backup">;
  /** Up to `limit` of the user's backup items with id > after, oldest first. */
  backupItems(
    userId: number,
    after: number,
    limit: number,
  ): Promise<{ id: number; item: string }[]>;

  /** Records an uploaded file; "taken" if the id is in use (ids are random: retry with another). */
  putFile(file: FileRecord): Promise<"ok" | "taken">;
  findFile(id: string): Promise<FileRecord | undefined>;
  /** Bytes of the files the user uploaded at or after `since` (0: ever). */
  uploadedBytes(userId: number, since: number): Promise<number>;
  /** Up to `limit` public-room files uploaded before `before` that no message shares. */
  unsharedFiles(before: number, limit: number): Promise<FileRecord[]>;
  /** Deletes a file's record; `blobUnused` when no record is left using its bytes. */
  deleteFile(id: string): Promise<{ deleted: boolean; blobUnused: boolean }>;

  /**
   * Stores a batch in one transaction and resolves only after it is durable. Each room's seq is
   * assigned atomically; a request whose (sender, cid) is already stored returns the original
   * message (or event) with duplicate: true and stores nothing. An event is applied to its
   * target in the same transaction: an edit replaces the text, a delete erases the text (and
   * the text of the edits before it, the file and the reactions), a reaction is added or taken
   * back. Rejects when nothing could be stored.
   */
  append(batch: readonly AppendRequest[]): Promise<AppendResult[]>;
  /** Each listed room's head (its last seq); ids of rooms that do not exist are left out. */
  roomHeads(roomIds: readonly number[]): Promise<Map<number, number>>;
  /** The token hashes among these that still name a live (unexpired) session. */
  liveSessions(tokenHashes: readonly string[], now: number): Promise<Set<string>>;
  /** Each known user among these with the rooms they belong to, in one round trip. */
  usersWithRooms(userIds: readonly number[]): Promise<{ user: UserRef; rooms: number[] }[]>;
  /** Up to `limit` messages with seq > after, oldest first, each in its current state. */
  messagesAfter(roomId: number, after: number, limit: number): Promise<Message[]>;
  /** Up to `limit` messages with seq < before, the newest of them, oldest first. */
  messagesBefore(roomId: number, before: number, limit: number): Promise<Message[]>;
  /** Up to `limit` log entries (messages in their current state, and events) with seq > after. */
  logAfter(roomId: number, after: number, limit: number): Promise<LogEntry[]>;
  /** Up to `limit` log entries with seq < before, the newest of them, oldest first. */
  logBefore(roomId: number, before: number, limit: number): Promise<LogEntry[]>;
  /** The message (not an event) at seq in the room, in its current state. */
  findMessage(roomId: number, seq: number): Promise<Message | undefined>;
  /**
   * Messages of the public rooms `userId` is a member of that match every term, newest first
   * (by ts, then room, then seq), with a plain-text snippet. Deleted messages never match, and
   * an edited one matches its current text only. DMs are sealed: never searched.
   */
  search(userId: number, q: SearchQuery): Promise<SearchHit[]>;

  /**
   * Creates a bot owned by `ownerId`: a user that accepts DMs from contacts only (it has none),
   * its password hash of a secret nobody keeps. "taken" when the name is in use.
   */
  createBot(
    ownerId: number,
    name: string,
    passwordHash: string,
    now: number,
  ): Promise<BotRecord | "taken">;
  /** The bots a user owns, oldest first. */
  botsOf(ownerId: number): Promise<BotRecord[]>;
  findBot(botId: number): Promise<BotRecord | undefined>;
  /** Stores a token's hash; returns the token's id. */
  createBotToken(token: NewBotToken): Promise<number>;
  /** The live (unrevoked) token with this hash, or undefined. */
  findBotToken(tokenHash: string): Promise<BotTokenRecord | undefined>;
  /** A bot's tokens, live and revoked, oldest first. */
  botTokens(botId: number): Promise<BotTokenRecord[]>;
  /** Revokes a live token of the bot; returns its hash (to end its sockets), or undefined. */
  revokeBotToken(botId: number, tokenId: number, now: number): Promise<string | undefined>;

  // ---- Communities (db/store-*-communities.ts) ----
  /** The user's role and mute in the room, or undefined when not a member. */
  standing(roomId: number, userId: number): Promise<RoomStanding | undefined>;
  /** Every member's standing in the room, by user id. */
  standings(roomId: number): Promise<Map<number, RoomStanding>>;
  /** True when the user is banned from the room at `now`. */
  isBanned(roomId: number, userId: number, now: number): Promise<boolean>;
  /** Applies a moderation action and its audit row in one transaction; false (no row): no change. */
  moderate(record: ModerationRecord): Promise<boolean>;
  /** Stores an invite code's hash; returns the invite's id. Audited as "invite_create". */
  createInvite(invite: NewInvite): Promise<number>;
  /**
   * Spends one use of a live invite (unexpired, unrevoked, uses left) and makes the user a
   * member, atomically; a banned user spends nothing. `joined` is false for a member already.
   */
  redeemInvite(codeHash: string, user: UserRef, now: number): Promise<InviteRedemption>;
  /** Invites the user to the room until `expiresAt` (again: renewed), audited `invite_user`. */
  inviteUser(room: number, userId: number, by: AuditBy, expiresAt: number): Promise<void>;
  /** The user's live invitations by name, newest first. */
  userInvites(userId: number, now: number): Promise<UserInvite[]>;
  /** Ends a live invitation; on accept, joins (unless banned: BANNED), atomically. */
  answerUserInvite(
    room: number,
    userId: number,
    accept: boolean,
    now: number,
  ): Promise<InviteRedemption>;
  /** The room's invites, newest first, live or not. */
  invites(roomId: number): Promise<InviteRecord[]>;
  /** Revokes a live invite of the room, audited; false when there is none with that id. */
  revokeInvite(roomId: number, inviteId: number, actor: UserRef, now: number): Promise<boolean>;
  /** The newest audit rows, of one room or (room undefined) of all, newest first. */
  auditLog(roomId: number | undefined, limit: number): Promise<AuditEntry[]>;
  /** Stores a member's report of a message; returns its id. */
  createReport(
    room: number,
    seq: number,
    reporter: UserRef,
    reason: string,
    now: number,
  ): Promise<number>;
  /** The newest reports, of one room or (undefined) of all, open ones only or all. */
  reports(roomId: number | undefined, open: boolean, limit: number): Promise<ReportRecord[]>;
  /** Closes an open report of the room with what was done, audited; false if none such. */
  resolveReport(roomId: number, reportId: number, outcome: string, by: AuditBy): Promise<boolean>;

  // ---- Running a server (db/store-*-admin.ts) ----
  /** A user's server-wide standing, or undefined for no such user. */
  accountFlags(userId: number): Promise<{ admin: boolean; disabled: boolean } | undefined>;
  /** Up to `limit` accounts whose name key sorts after `after`, in order. */
  listUsers(after: string | undefined, limit: number): Promise<AccountRecord[]>;
  /** Makes the user a server admin or not, audited; false when nothing changed. */
  setAdmin(userId: number, admin: boolean, by: AuditBy): Promise<boolean>;
  /**
   * Disables (deleting every session, atomically) or enables the account, audited; false when
   * nothing changed. A disabled account's sessions are refused by findSession and liveSessions.
   */
  setDisabled(userId: number, disabled: boolean, by: AuditBy): Promise<boolean>;
  /** Sets a password as an admin (deleting every session), audited; false for no such user. */
  resetPassword(userId: number, passwordHash: string, by: AuditBy): Promise<boolean>;
  /**
   * Deletes an account, audited: its sessions, memberships, contacts, blocks, devices and bots'
   * tokens go; its messages stay, shown under "deleted-ID" (the name is freed). False if none.
   */
  deleteAccount(userId: number, by: AuditBy): Promise<boolean>;
  /** A server setting (registration mode), or undefined when never set. */
  setting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string, by: AuditBy): Promise<void>;
  /** Stores a registration invite code's hash; returns its id. Audited. */
  createServerInvite(
    codeHash: string,
    expiresAt: number,
    maxUses: number,
    by: AuditBy,
  ): Promise<number>;
  /** Creates the user and spends one use of a live registration invite, atomically. */
  registerWithInvite(
    codeHash: string,
    name: string,
    passwordHash: string,
    now: number,
  ): Promise<UserRecord | "taken" | "invalid">;
  /** Writes an audit row for an action the store does not apply itself (a room deleted by an admin). */
  audit(
    room: number | undefined,
    action: string,
    target: number | undefined,
    by: AuditBy,
    detail?: string,
  ): Promise<void>;

  /** The user's appearance settings as last stored (a JSON document), or undefined if never. */
  userSettings(userId: number): Promise<string | undefined>;
  /** Stores the user's appearance settings, replacing any before (validated by the caller). */
  putUserSettings(userId: number, settings: string, now: number): Promise<void>;

  close(): Promise<void>;
}
