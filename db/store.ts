/**
 * The store interface: everything Parley keeps. One implementation per backend
 * (store-sqlite.ts now, a PostgreSQL store later); nothing outside db/ knows which is in use.
 * Methods are async so that a networked backend fits; expected outcomes are values, not throws.
 */
import type { Message, UserRef } from "../src/protocol/index.ts";

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
  body: string;
  ts: number;
}

export type AppendResult =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; code: "NOT_MEMBER" | "ROOM_NOT_FOUND" };

export interface Store {
  createUser(name: string, passwordHash: string, now: number): Promise<UserRecord | "taken">;
  findUser(name: string): Promise<UserRecord | undefined>;

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
  findRoomByName(name: string): Promise<RoomRecord | undefined>;
  listRooms(): Promise<RoomRecord[]>;

  /** True when the user was not a member before. */
  addMember(roomId: number, userId: number, now: number): Promise<boolean>;
  /** True when the user was a member before. */
  removeMember(roomId: number, userId: number): Promise<boolean>;
  isMember(roomId: number, userId: number): Promise<boolean>;
  roomsOf(userId: number): Promise<number[]>;
  membersOf(roomId: number): Promise<UserRef[]>;

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
