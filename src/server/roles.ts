/**
 * Room roles and what each may do: the one table of rights, read by access.ts for the rights
 * that commands and routes declare, and by moderation.ts for an action's right and rank. Owner > moderator > member; a member with a
 * role may act only on members ranked below them, so a moderator never acts on an owner.
 */
import type { RoomRole, RoomStanding, Store } from "../../db/store.ts";
import { ParleyError, type UserRef } from "../protocol/index.ts";

export type RoomRight =
  /** Kick, ban, unban, mute, unmute. */
  | "moderate"
  | "topic"
  /** Create, list and revoke invite links, and invite users by name. */
  | "invite"
  /** Promote and demote moderators. */
  | "roles"
  | "transfer"
  | "delete"
  /** Rename the room, and archive it (read-only). */
  | "lifecycle"
  /** Read the room's audit log. */
  | "audit";

const RANK: Record<RoomRole, number> = { owner: 3, moderator: 2, member: 1 };

/** The least role that holds each right. */
const LEAST: Record<RoomRight, RoomRole> = {
  moderate: "moderator",
  topic: "moderator",
  invite: "moderator",
  roles: "owner",
  transfer: "owner",
  delete: "owner",
  lifecycle: "owner",
  audit: "owner",
};

export function holds(role: RoomRole, right: RoomRight): boolean {
  return RANK[role] >= RANK[LEAST[right]];
}

export function outranks(actor: RoomRole, target: RoomRole): boolean {
  return RANK[actor] > RANK[target];
}

/**
 * The actor's standing, if it holds `right` in the room; otherwise why not: ROOM_NOT_FOUND for
 * a private room (or none) they are not in, NOT_MEMBER for a public one, NOT_ALLOWED for a role
 * too low. `exists` tells a public room from a missing or private one.
 */
export async function requireRight(
  store: Store,
  actor: UserRef,
  room: number,
  right: RoomRight,
): Promise<RoomStanding> {
  const standing = await store.standing(room, actor.id);
  // A server admin may delete, rename or archive any room and read its audit log, member or not.
  if (
    (right === "delete" || right === "audit" || right === "lifecycle") &&
    (!standing || !holds(standing.role, right)) &&
    actor.id !== 0 &&
    (await store.accountFlags(actor.id))?.admin
  ) {
    if ((await store.findRoom(room))?.kind !== "room") throw new ParleyError("ROOM_NOT_FOUND");
    return { role: "owner", mutedUntil: 0 };
  }
  if (!standing) {
    const found = await store.findRoom(room);
    if (found?.kind !== "room" || found.visibility === "private") {
      throw new ParleyError("ROOM_NOT_FOUND");
    }
    throw new ParleyError("NOT_MEMBER");
  }
  if (!holds(standing.role, right)) throw new ParleyError("NOT_ALLOWED");
  return standing;
}

/**
 * Refuses an owner's leaving while others stay in the room (LAST_OWNER): a room with members
 * and no owner could never again be renamed, archived, deleted or have moderators named. They
 * hand ownership over first (transfer); alone in the room, they may leave it.
 */
export async function requireMayLeave(store: Store, room: number, user: UserRef): Promise<void> {
  const all = await store.standings(room);
  if (all.get(user.id)?.role !== "owner" || all.size <= 1) return;
  const owners = [...all.values()].filter((s) => s.role === "owner").length;
  if (owners <= 1) throw new ParleyError("LAST_OWNER");
}

/** True when the user moderates the room (a moderator or its owner). */
export async function moderates(store: Store, room: number, user: UserRef): Promise<boolean> {
  const standing = await store.standing(room, user.id);
  return standing !== undefined && holds(standing.role, "moderate");
}
