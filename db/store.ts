/**
 * The store interface: everything Parley keeps. One implementation per backend
 * (store-sqlite.ts now, a PostgreSQL store later); nothing outside db/ knows which is in use.
 * Methods are async so that a networked backend fits; expected outcomes are values, not throws.
 */
import type { DmPolicy, Message, MessageFile, RoomKind, UserRef } from "../src/protocol/index.ts";

export interface UserRecord {
  id: number;
  name: string;
  passwordHash: string;
}

export interface SessionRecord {
  user: UserRef;
  expiresAt: number;
}

export interface RoomRecord {
  id: number;
  kind: RoomKind;
  name: string;
  topic: string;
  createdAt: number;
  /** The last seq handed out in the room (0 when it has no messages). */
  head: number;
  members: number;
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
  ts: number;
}

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
}

/** The most unread messages counted per room; clients show more as "999+". */
export const UNREAD_COUNT_MAX = 1000;

export interface DmRecord extends RoomRecord {
  peer: UserRef;
}

export type AppendResult =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; code: "NOT_MEMBER" | "ROOM_NOT_FOUND" };

export interface Store {
  createUser(name: string, passwordHash: string, now: number): Promise<UserRecord | "taken">;
  findUser(name: string): Promise<UserRecord | undefined>;
  findUserById(id: number): Promise<UserRef | undefined>;

  createSession(userId: number, tokenHash: string, now: number, expiresAt: number): Promise<void>;
  /** The live session for a token hash, or undefined when unknown or expired. */
  findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined>;
  deleteSession(tokenHash: string): Promise<boolean>;
  deleteExpiredSessions(now: number): Promise<number>;

  /** Creates the room and makes the creator its first member, atomically. */
  createRoom(
    name: string,
    topic: string,
    creatorId: number,
    now: number,
  ): Promise<RoomRecord | "taken">;
  findRoom(id: number): Promise<RoomRecord | undefined>;
  /** Only public rooms: DM rooms are never found by name. */
  findRoomByName(name: string): Promise<RoomRecord | undefined>;
  /** The public rooms (not DMs). */
  listRooms(): Promise<RoomRecord[]>;

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

  /**
   * Stores a batch in one transaction and resolves only after it is durable. Each room's seq is
   * assigned atomically; a request whose (sender, cid) is already stored returns the original
   * message with duplicate: true and stores nothing. Rejects when nothing could be stored.
   */
  append(batch: readonly AppendRequest[]): Promise<AppendResult[]>;
  /** Up to `limit` messages with seq > after, oldest first. */
  messagesAfter(roomId: number, after: number, limit: number): Promise<Message[]>;
  /** Up to `limit` messages with seq < before, the newest of them, oldest first. */
  messagesBefore(roomId: number, before: number, limit: number): Promise<Message[]>;

  close(): Promise<void>;
}
