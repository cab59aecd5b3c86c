/**
 * Authorization in one place. Every WebSocket command (requirements.ts) and every HTTP route
 * that names a room declares what it needs of the user there, and Access checks it once, before
 * the handler runs, with the rights table of roles.ts. The refusals are the same everywhere: a
 * room one may not know of (a private room or DM one is not in, or none) is ROOM_NOT_FOUND, a
 * public room one is not in NOT_MEMBER, a role too low NOT_ALLOWED, and a community action
 * on the members of an encrypted group (whose members are its signed versions) GROUP_MANAGED.
 *
 * Mutes and archiving refuse writes inside the append's transaction (db/store-*-append.ts), the
 * one place they can be checked atomically with the write; Access does not read them twice.
 */
import type { Store } from "../../db/store.ts";
import { ParleyError, type UserRef } from "../protocol/index.ts";
import { type RoomRight, requireRight } from "./roles.ts";

export interface Requirement {
  /**
   * What the user must be in the room the frame or route names: a member, or one whose role
   * holds a right of roles.ts (which also lets a server admin delete, rename, archive and audit).
   */
  room?: "member" | RoomRight;
  /**
   * Checked by the send pipeline in the connection's send order, not before the handler, so a
   * send waiting for the store never lets a later one overtake it (send-pipeline.ts). There a
   * socket's cached rooms may answer "member": the append re-checks it atomically, with the
   * same refusal, so a stale answer never lets a message in.
   */
  inOrder?: true;
  /**
   * An ephemeral frame that stores nothing (typing): this node's cached rooms may answer
   * "member" before the store is read, so a burst of keystrokes costs no lookup. A socket not
   * listed there (a non-member, or one that just left) is still read from the store.
   */
  cached?: true;
  /**
   * A community action on who is in the room or what they may do there (moderation, invite
   * codes, invitations): refused in an encrypted group with GROUP_MANAGED, since its members are
   * the signed membership versions (groups.ts) and a change made behind them would leave the
   * server's member list differing from the chain every client checks.
   */
  notGroup?: true;
}

export interface AccessOptions {
  store: Store;
  /** Whether this node's presence lists the user in the room (a hint: presence.ts). */
  cachedMember?: (userId: number, room: number) => boolean;
}

export class Access {
  constructor(private readonly o: AccessOptions) {}

  /**
   * Undefined when the requirement holds without a lookup (or names no room); otherwise a
   * promise that settles once it is checked, rejecting with the coded refusal.
   */
  check(user: UserRef, room: number | undefined, need: Requirement): Promise<void> | undefined {
    if (room === undefined) return undefined;
    if (need.notGroup) {
      return this.refuseGroup(user, room).then(() => this.checkRoom(user, room, need));
    }
    return this.checkRoom(user, room, need);
  }

  private checkRoom(user: UserRef, room: number, need: Requirement): Promise<void> | undefined {
    if (need.room === undefined) return undefined;
    if (need.room !== "member")
      return requireRight(this.o.store, user, room, need.room).then(() => {});
    if ((need.inOrder || need.cached) && this.o.cachedMember?.(user.id, room)) return undefined;
    return this.requireMember(user, room);
  }

  /**
   * Throws GROUP_MANAGED if the room is a group the user is in (ROOM_NOT_FOUND if not: to an
   * outsider a group does not exist); a room of any other kind passes.
   */
  async refuseGroup(user: UserRef, room: number): Promise<void> {
    if ((await this.o.store.findRoom(room))?.kind !== "group") return;
    if (await this.o.store.isMember(room, user.id)) throw new ParleyError("GROUP_MANAGED");
    throw new ParleyError("ROOM_NOT_FOUND");
  }

  /** Throws ROOM_NOT_FOUND or NOT_MEMBER unless the user is in the room (read from the store). */
  async requireMember(user: UserRef, room: number): Promise<void> {
    if (await this.o.store.isMember(room, user.id)) return;
    throw await this.outsider(room);
  }

  /** The refusal for someone not in the room: only a public room admits that it exists. */
  async outsider(room: number): Promise<ParleyError> {
    const found = await this.o.store.findRoom(room);
    const known = found?.kind === "room" && found.visibility === "public";
    return new ParleyError(known ? "NOT_MEMBER" : "ROOM_NOT_FOUND");
  }
}
