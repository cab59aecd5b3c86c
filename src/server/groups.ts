/**
 * Encrypted group conversations (docs/e2ee.md section 12), the server's part. A group is a
 * private room of kind "group" holding only sealed messages. Its membership is a chain of
 * versions, each signed by a member's device; the server stores each as a "membership" event of
 * the room's log (so resume, history and every node carry it) and keeps its own member list in
 * step with it, for delivery and for checking that an envelope addresses only members, and its
 * members' roles: a version's admins are the group's owners, so only they may rename, archive
 * or delete it (roles.ts), however the group began.
 *
 * The checks here keep honest clients in step; they are not what protects anyone: clients accept
 * a version only as the next of the chain they verified (src/crypto/group-membership.ts), so a
 * version the server forged, replayed or reordered is refused by them and shown as such.
 */
import type { Store } from "../../db/store.ts";
import { GROUP_MEMBERS_MAX, type Membership } from "../crypto/index.ts";
import {
  encodeFrame,
  groupConversation,
  ParleyError,
  type RoomSummary,
  type UserRef,
} from "../protocol/index.ts";
import type { Chat } from "./chat.ts";
import { e2eeUserId } from "./devices.ts";
import type { Hub } from "./hub.ts";
import { KeyedSerial } from "./keyed-serial.ts";
import type { Revocation } from "./revocation.ts";
import { isDeletedAccount } from "./sealed-envelope.ts";

export interface GroupsOptions {
  store: Store;
  chat: Chat;
  hub: Hub;
  /** Tells added members (`group_added`) and takes removed ones out, on every node. */
  revocation: Pick<Revocation, "tell" | "removeFromRoom">;
  now: () => number;
}

/** The newest stored version, as the server reads it (unchecked: clients check signatures). */
function parsed(body: string | undefined): Membership | undefined {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body) as Membership;
  } catch {
    return undefined;
  }
}

export class Groups {
  /** One membership change at a time per group on this node, so versions stay in order. */
  private readonly perGroup = new KeyedSerial<number>();

  constructor(private readonly o: GroupsOptions) {}

  /** A new group with only its creator, who then signs version 1 naming the members. */
  async create(user: UserRef, name: string): Promise<RoomSummary> {
    const room = await this.o.chat.createRoom(user, name, "", "private");
    await this.o.store.markGroup(room.id);
    return { ...room, kind: "group" };
  }

  /** The group's membership events, for a member to check the chain. */
  async state(user: UserRef, room: number) {
    await this.requireMemberOfGroup(user, room);
    return this.o.store.groupVersions(room);
  }

  /**
   * Stores the next membership version and brings the server's members and their roles in step
   * with it, atomically (GroupStore.storeGroupVersion): those it adds are members once it is
   * stored (so a message sealed for them right after is accepted), those it drops leave after
   * it is appended (so one who leaves signs their own leaving), and its admins alone hold the
   * owner's rights (rename, archive, delete).
   */
  membership(user: UserRef, room: number, m: Membership): Promise<void> {
    return this.perGroup.run(room, () => this.apply(user, room, m));
  }

  private async apply(user: UserRef, room: number, m: Membership): Promise<void> {
    await this.requireMemberOfGroup(user, room);
    const versions = await this.o.store.groupVersions(room);
    const current = parsed(versions.at(-1)?.body);
    const me = e2eeUserId(user.id);
    if (
      m.conv !== groupConversation(room) ||
      m.by.u !== me ||
      m.version !== (current?.version ?? 0) + 1 ||
      !mayChange(me, m, current)
    ) {
      throw new ParleyError("BAD_MEMBERSHIP");
    }
    const before = new Set((await this.o.store.membersOf(room)).map((u) => u.id));
    const after = new Set(m.members.map(Number));
    if (after.size > GROUP_MEMBERS_MAX || [...after].some((id) => !Number.isSafeInteger(id))) {
      throw new ParleyError("BAD_MEMBERSHIP");
    }
    const added: number[] = [];
    const kept = new Set(current?.members.map(Number));
    for (const id of after) {
      if (before.has(id)) continue;
      if (await isDeletedAccount(this.o.store, id)) {
        // A deleted account stays in the chain until an admin signs it out: a version that
        // still names it is no addition, and re-adds no one. A new name must be a user.
        if (kept.has(id)) continue;
        throw new ParleyError("USER_NOT_FOUND");
      }
      added.push(id);
    }
    const removed = [...before].filter((id) => !after.has(id));
    // One transaction: the added join, the version is stored, every member's server role follows
    // its admins (owner or member: rename, archive and delete are the chain's admins'), and the
    // dropped leave. So the server's members and rights never differ from a stored version.
    const stored = await this.o.store.storeGroupVersion({
      event: {
        room,
        sender: user,
        cid: `membership-${crypto.randomUUID()}`,
        body: JSON.stringify(m),
        ts: this.o.now(),
        event: { kind: "membership" },
      },
      after: versions.at(-1)?.seq ?? 0,
      add: added,
      remove: removed,
      admins: m.admins.map(Number).filter((id) => after.has(id)),
    });
    // Stale: another node stored a version since this one was checked against the newest.
    if (stored === "stale") throw new ParleyError("BAD_MEMBERSHIP");
    if (!stored.ok) throw new ParleyError(stored.code);
    // Delivery follows the store: the added see the version that adds them, the removed the one
    // that removes them, before they are taken out of the room on every node.
    for (const id of added) this.o.hub.memberJoined(id, room);
    this.o.chat.roomLog.publish(stored.event ?? stored.message);
    const told = encodeFrame({ type: "group_added", room, by: user });
    for (const id of added) this.o.revocation.tell(id, told);
    for (const id of removed) {
      this.o.hub.memberLeft(id, room);
      this.o.revocation.removeFromRoom(id, room, "kicked");
    }
  }

  private async requireMemberOfGroup(user: UserRef, room: number): Promise<void> {
    const found = await this.o.store.findRoom(room);
    if (found?.kind !== "group" || !(await this.o.store.isMember(room, user.id))) {
      throw new ParleyError("ROOM_NOT_FOUND");
    }
  }
}

/**
 * Whether any stored version of the group named the user: a former member, who knows of the
 * group, where anyone else must not learn it exists. (False for a room that is no group.)
 */
export async function wasGroupMember(store: Store, room: number, userId: number): Promise<boolean> {
  if ((await store.findRoom(room))?.kind !== "group") return false;
  const me = e2eeUserId(userId);
  return (await store.groupVersions(room)).some((v) => {
    const members = parsed(v.body)?.members;
    return Array.isArray(members) && members.includes(me);
  });
}

/** As acceptMembership's rule: version 1 by its own admin; then an admin, or a member leaving. */
function mayChange(me: string, m: Membership, current: Membership | undefined): boolean {
  if (!m.admins.every((a) => m.members.includes(a))) return false;
  if (!current) return m.admins.includes(me) && m.members.includes(me);
  if (current.admins.includes(me)) return true;
  const without = current.members.filter((u) => u !== me);
  return (
    without.join("\n") === m.members.join("\n") && m.admins.join("\n") === current.admins.join("\n")
  );
}
