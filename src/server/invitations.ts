/**
 * Invite links and codes: a moderator (or owner) makes a code that lets its holder join the
 * room, public or private, until it expires, runs out of uses or is revoked. Only the code's
 * SHA-256 is stored; the code itself is shown once, to its maker. A banned user cannot use one.
 * Who may make, list and revoke codes (the `invite` right) is declared by the WebSocket command
 * and the HTTP route and checked by access.ts before these run.
 */
import type { InviteRecord, Store } from "../../db/store.ts";
import { ParleyError, type RoomEvent, type ServerFrame, type UserRef } from "../protocol/index.ts";
import { UserInvitations } from "./user-invitations.ts";

export interface InvitationOptions {
  store: Store;
  now: () => number;
  /**
   * Makes the user a joined member as Chat.join does (presence, the joined notice), and
   * publishes their join, stored with the membership in the store's transaction.
   */
  joined: (user: UserRef, room: number, join: RoomEvent | undefined) => Promise<void>;
  /** Sends a frame to every socket of the user on every node: invitations by name. */
  tell: (userId: number, frame: ServerFrame) => void;
}

export interface InviteView {
  id: number;
  room: number;
  /** Only in the answer that created it. */
  code?: string;
  expiresAt: number;
  maxUses: number;
  uses: number;
  revoked: boolean;
}

export const INVITE_DEFAULT_SECONDS = 7 * 24 * 3600;
export const INVITE_MAX_SECONDS = 90 * 24 * 3600;
export const INVITE_MAX_USES = 1000;
/** Invites one room keeps (live or not): each costs a row. */
export const INVITES_PER_ROOM_MAX = 1000;
/** 128 random bits, base64url. */
export const INVITE_CODE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("hex");
}

function view(i: InviteRecord): InviteView {
  return {
    id: i.id,
    room: i.room,
    expiresAt: i.expiresAt,
    maxUses: i.maxUses,
    uses: i.uses,
    revoked: i.revokedAt !== undefined,
  };
}

export class Invitations {
  /** Invitations of a user by name (user-invitations.ts). */
  readonly users: UserInvitations;

  constructor(private readonly o: InvitationOptions) {
    this.users = new UserInvitations(o);
  }

  async create(
    actor: UserRef,
    room: number,
    opts: { seconds?: number | undefined; uses?: number | undefined },
  ): Promise<InviteView> {
    const seconds = opts.seconds ?? INVITE_DEFAULT_SECONDS;
    const uses = opts.uses ?? 1;
    if (!Number.isSafeInteger(seconds) || seconds < 60 || seconds > INVITE_MAX_SECONDS) {
      throw new ParleyError("INVALID", `seconds: 60 to ${INVITE_MAX_SECONDS}`);
    }
    if (!Number.isSafeInteger(uses) || uses < 1 || uses > INVITE_MAX_USES) {
      throw new ParleyError("INVALID", `uses: 1 to ${INVITE_MAX_USES}`);
    }
    if ((await this.o.store.invites(room)).length >= INVITES_PER_ROOM_MAX) {
      throw new ParleyError("INVALID", `A room keeps at most ${INVITES_PER_ROOM_MAX} invites.`);
    }
    const code = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
    const now = this.o.now();
    const expiresAt = now + seconds * 1000;
    const id = await this.o.store.createInvite({
      room,
      codeHash: await sha256(code),
      by: actor,
      now,
      expiresAt,
      maxUses: uses,
    });
    return { id, room, code, expiresAt, maxUses: uses, uses: 0, revoked: false };
  }

  async list(room: number): Promise<InviteView[]> {
    return (await this.o.store.invites(room)).map(view);
  }

  async revoke(actor: UserRef, room: number, inviteId: number): Promise<void> {
    if (!(await this.o.store.revokeInvite(room, inviteId, actor, this.o.now()))) {
      throw new ParleyError("INVITE_NOT_FOUND");
    }
  }

  /** Joins the room the code opens; returns its id. */
  async redeem(user: UserRef, code: string): Promise<number> {
    if (!INVITE_CODE_PATTERN.test(code)) throw new ParleyError("INVITE_NOT_FOUND");
    const result = await this.o.store.redeemInvite(await sha256(code), user, this.o.now());
    if (!result.ok) throw new ParleyError(result.code);
    if (result.joined) await this.o.joined(user, result.room, result.event);
    return result.room;
  }
}
