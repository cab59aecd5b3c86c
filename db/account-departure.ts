/**
 * What a deleted account's rooms become (AdminStore.deleteAccount), the same in both stores.
 * Each room it was in (not a DM, not an encrypted group: the signed chain manages a group's
 * roles) gets its leave; a room it was the last owner of gets a successor, so a live room never
 * stays without an owner; a private room it was the last member of is archived, as a private
 * room its last member leaves is (src/server/departure.ts). All in the deletion's transaction,
 * the events appended while the account is still a member; the nodes' sequencers deliver them.
 */
import type { UserRef } from "../src/protocol/index.ts";
import type { RoomRole, RoomVisibility } from "./community-records.ts";
import type { AppendRequest } from "./message-log.ts";

export { LAST_MEMBER_LEFT } from "./room-store.ts";

/** The body of the leave a deleted account leaves in each room it was in. */
export const ACCOUNT_DELETED = "account deleted";
/** The reason the audit log keeps for a successor made owner by the deletion. */
export const OWNER_DELETED = "the last owner's account was deleted";

/**
 * The order in which the remaining members of a room are considered for its ownership (SQL over
 * members m JOIN users u): an account that can act first (not disabled, not a bot), then the
 * highest role left (moderators before members; src/server/roles.ts ranks them), then the
 * longest standing (joined first; the lower id breaks a tie).
 */
export const SUCCESSION_ORDER = `(u.disabled_at IS NOT NULL), (u.bot_owner_id IS NOT NULL),
  CASE m.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, m.joined_at, m.user_id`;

/** A room the deleted account was in, as the deletion reads it before changing anything. */
export interface LeftRoom {
  room: number;
  /** The account's role there. */
  role: RoomRole;
  /** Members other than the account, and how many of them are owners. */
  others: number;
  owners: number;
  visibility: RoomVisibility;
  archived: boolean;
}

/** Whether the room needs a successor: the account was its only owner and others stay. */
export function needsSuccessor(r: LeftRoom): boolean {
  return r.role === "owner" && r.owners === 0 && r.others > 0;
}

/** Whether the room is archived: a private room, not yet archived, the account its last member. */
export function archivedByDeparture(r: LeftRoom): boolean {
  return r.others === 0 && r.visibility === "private" && !r.archived;
}

/**
 * The events of the account's going, room by room: the successor's `role` event ("owner"),
 * from the account, then its leave ("account deleted"), so the timeline reads "alice made bob
 * the owner", "alice left (account deleted)". As Matrix's deactivation does, each room says why
 * a member vanished from the list.
 */
export function departureEvents(
  user: UserRef,
  rooms: readonly LeftRoom[],
  successors: ReadonlyMap<number, UserRef>,
  now: number,
): AppendRequest[] {
  return rooms.flatMap(({ room }) => {
    const leave: AppendRequest = {
      room,
      sender: user,
      cid: `leave-${crypto.randomUUID()}`,
      body: ACCOUNT_DELETED,
      ts: now,
      event: { kind: "leave" },
    };
    const successor = successors.get(room);
    if (!successor) return [leave];
    const role: AppendRequest = {
      room,
      sender: user,
      cid: `role-${crypto.randomUUID()}`,
      body: "owner",
      ts: now,
      event: { kind: "role", user: successor },
    };
    return [role, leave];
  });
}

/** The audit row's detail of a succession: the role given and whose account was deleted. */
export function successionDetail(user: UserRef): string {
  return JSON.stringify({ role: "owner", after: user.id });
}
