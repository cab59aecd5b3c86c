/**
 * Rooms and membership: public and private rooms, DM rooms (a room of two), who is a member,
 * and how far each member has read.
 */
import type { RoomKind, UserRef } from "../src/protocol/index.ts";
import type { RoomVisibility } from "./community-records.ts";

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
  /** When the room was archived (read-only for good); null or absent while it is not. */
  archivedAt?: number | null | undefined;
}

export interface DmRecord extends RoomRecord {
  peer: UserRef;
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

/** The most unread messages counted per room; clients show more as "999+". */
export const UNREAD_COUNT_MAX = 1000;

export interface RoomStore {
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
  /** Each listed room's head (its last seq); ids of rooms that do not exist are left out. */
  roomHeads(roomIds: readonly number[]): Promise<Map<number, number>>;

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
  /** Each known user among these with the rooms they belong to, in one round trip. */
  usersWithRooms(userIds: readonly number[]): Promise<{ user: UserRef; rooms: number[] }[]>;

  /** The DM room of two users, created (both as members) on first use. */
  openDm(userId: number, peerId: number, now: number): Promise<DmRecord & { created: boolean }>;
  /** The two users of a DM room, or undefined for a public room. */
  dmUsers(roomId: number): Promise<[number, number] | undefined>;
  listDms(userId: number): Promise<DmRecord[]>;
}
