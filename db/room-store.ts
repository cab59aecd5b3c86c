/**
 * Rooms and membership: public and private rooms, DM rooms (a room of two), who is a member,
 * and how far each member has read.
 */
import type { RoomKind, UserRef } from "../src/protocol/index.ts";
import type { RoomVisibility } from "./community-records.ts";
import type { AppendRequest, AppendResult } from "./message-log.ts";

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

/** The body of the leave of a private room's last member, which archives the room with it. */
export const ARCHIVING_LEAVE = "archived";
/** The reason the audit log keeps for a private room archived by its last member's going. */
export const LAST_MEMBER_LEFT = "the last member left";

/** A membership that begins (join) or ends (leave) with the event of the room's log that says so. */
export type MembershipChange = "join" | "leave";

/** The stored event, its refusal, or "unchanged" when the membership already was as asked. */
export type MembershipResult = AppendResult | "unchanged";

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
  /**
   * A join or leave with the event that records it, in one transaction: `event.sender` becomes
   * a member of `event.room` (join) or stops being one (leave), and `event` is appended to the
   * room's log exactly when that row changed. "unchanged" (nothing stored) when they were a
   * member already (join) or no member (leave), also when another node's change won a race;
   * a refusal stores nothing either. The leave of a private room's last member archives the
   * room in the same transaction (audited as "archive", LAST_MEMBER_LEFT, the leaver as actor),
   * and its event's body becomes ARCHIVING_LEAVE: nobody could ever be invited back.
   */
  changeMembership(change: MembershipChange, event: AppendRequest): Promise<MembershipResult>;
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
