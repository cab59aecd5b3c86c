/**
 * Invitations of a user by name: a member with the `invite` right (roles.ts) invites someone;
 * the invitee hears of it live on every node (`invited`), lists their live invitations after a
 * reconnect, and accepts (joins, a private room too, unless banned) or declines, once. An
 * invitation lasts 7 days unless told otherwise; inviting again renews it.
 */
import type { Store, UserInvite } from "../../db/store.ts";
import { ParleyError, type RoomEvent, type ServerFrame, type UserRef } from "../protocol/index.ts";

export interface UserInvitationOptions {
  store: Store;
  now: () => number;
  /** As Invitations' joined: presence, the notice, and the stored join published. */
  joined: (user: UserRef, room: number, join: RoomEvent | undefined) => Promise<void>;
  /** Sends the frame to every socket of the user, on every node. */
  tell: (userId: number, frame: ServerFrame) => void;
}

export const USER_INVITE_DEFAULT_SECONDS = 7 * 24 * 3600;
export const USER_INVITE_MAX_SECONDS = 90 * 24 * 3600;

export class UserInvitations {
  constructor(private readonly o: UserInvitationOptions) {}

  async invite(actor: UserRef, room: number, name: string, seconds?: number): Promise<void> {
    const s = seconds ?? USER_INVITE_DEFAULT_SECONDS;
    if (!Number.isSafeInteger(s) || s < 60 || s > USER_INVITE_MAX_SECONDS) {
      throw new ParleyError("INVALID", `seconds: 60 to ${USER_INVITE_MAX_SECONDS}`);
    }
    const target = await this.o.store.findUser(name);
    if (!target) throw new ParleyError("USER_NOT_FOUND");
    const now = this.o.now();
    if (await this.o.store.isMember(room, target.id)) throw new ParleyError("ALREADY_MEMBER");
    if (await this.o.store.isBanned(room, target.id, now)) throw new ParleyError("BANNED");
    const expiresAt = now + s * 1000;
    await this.o.store.inviteUser(room, target.id, { actor, reason: "", now }, expiresAt);
    const found = await this.o.store.findRoom(room);
    const invite: UserInvite = { room, name: found?.name ?? "", by: actor, expiresAt };
    this.o.tell(target.id, { type: "invited", invite });
  }

  mine(user: UserRef): Promise<UserInvite[]> {
    return this.o.store.userInvites(user.id, this.o.now());
  }

  /** Accepts (true: the user joins) or declines an invitation; INVITE_NOT_FOUND if none is live. */
  async answer(user: UserRef, room: number, accept: boolean): Promise<void> {
    const result = await this.o.store.answerUserInvite(room, user.id, accept, this.o.now());
    if (!result.ok) throw new ParleyError(result.code);
    if (result.joined) await this.o.joined(user, room, result.event);
  }
}
