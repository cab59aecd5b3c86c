/**
 * Server administration: the actions behind /api/admin/* and `parley-server admin`. Each
 * checks that the actor is a server admin first (the admin command acts as the operator, who
 * holds the store itself), then changes the store with its audit row in one transaction, then
 * makes it felt: a disabled user's sockets close on every node.
 */
import type { AccountRecord, AuditBy, AuditEntry, RoomRecord, Store } from "../../db/store.ts";
import { ParleyError, USERNAME_PATTERN, type UserRef } from "../protocol/index.ts";
import { checkPassword } from "./auth.ts";
import { INVITE_MAX_SECONDS, INVITE_MAX_USES } from "./invitations.ts";
import {
  isRegistrationMode,
  REGISTRATION_KEY,
  type Registration,
  type RegistrationMode,
  sha256Hex,
} from "./registration.ts";

/** The admin command's actor in the audit log: the operator at the server's console. */
export const OPERATOR: UserRef = { id: 0, name: "(admin command)" };

export interface AdminOptions {
  store: Store;
  registration: Registration;
  now: () => number;
  hashPassword: (password: string) => Promise<string>;
  /** Closes every socket of the user, on every node (revocation.ts); none in the command. */
  endUser?: (userId: number) => void;
  /** Deletes a room as its owner would, members removed live (moderation.ts). */
  deleteRoom: (actor: UserRef, room: number, reason: string) => Promise<void>;
}

export const USERS_PAGE_MAX = 1000;

export class Admin {
  constructor(private readonly o: AdminOptions) {}

  /** Throws NOT_ADMIN unless the actor is a server admin (the operator always is). */
  async require(actor: UserRef): Promise<void> {
    if (actor === OPERATOR) return;
    if (!(await this.o.store.accountFlags(actor.id))?.admin) throw new ParleyError("NOT_ADMIN");
  }

  private by(actor: UserRef, reason = ""): AuditBy {
    return { actor, reason, now: this.o.now() };
  }

  private async target(name: string): Promise<UserRef> {
    const user = await this.o.store.findUser(name);
    if (!user) throw new ParleyError("USER_NOT_FOUND");
    return { id: user.id, name: user.name };
  }

  async listUsers(
    actor: UserRef,
    after?: string,
    limit = USERS_PAGE_MAX,
  ): Promise<AccountRecord[]> {
    await this.require(actor);
    return this.o.store.listUsers(after, Math.min(Math.max(limit, 1), USERS_PAGE_MAX));
  }

  async createUser(actor: UserRef, name: string, password: string): Promise<UserRef> {
    await this.require(actor);
    if (!USERNAME_PATTERN.test(name)) throw new ParleyError("INVALID_USERNAME");
    checkPassword(password);
    const made = await this.o.store.createUser(
      name,
      await this.o.hashPassword(password),
      this.o.now(),
    );
    if (made === "taken") throw new ParleyError("USERNAME_TAKEN");
    await this.o.store.audit(undefined, "user_create", made.id, this.by(actor));
    return { id: made.id, name: made.name };
  }

  async resetPassword(actor: UserRef, name: string, password: string): Promise<void> {
    await this.require(actor);
    checkPassword(password);
    const user = await this.target(name);
    await this.o.store.resetPassword(user.id, await this.o.hashPassword(password), this.by(actor));
    this.o.endUser?.(user.id);
  }

  async setAdmin(actor: UserRef, name: string, admin: boolean): Promise<boolean> {
    await this.require(actor);
    const user = await this.target(name);
    return this.o.store.setAdmin(user.id, admin, this.by(actor));
  }

  async setDisabled(
    actor: UserRef,
    name: string,
    disabled: boolean,
    reason = "",
  ): Promise<boolean> {
    await this.require(actor);
    const user = await this.target(name);
    if (disabled && user.id === actor.id)
      throw new ParleyError("INVALID", "You cannot disable yourself.");
    const changed = await this.o.store.setDisabled(user.id, disabled, this.by(actor, reason));
    // The session rows are gone already: every node's periodic check closes the sockets even if
    // this signal is lost, or when the command runs with no bus at all.
    if (disabled) this.o.endUser?.(user.id);
    return changed;
  }

  async listRooms(actor: UserRef): Promise<RoomRecord[]> {
    await this.require(actor);
    return this.o.store.listRooms();
  }

  async deleteRoom(actor: UserRef, room: number, reason = ""): Promise<void> {
    await this.require(actor);
    await this.o.deleteRoom(actor, room, reason);
  }

  async registration(actor: UserRef): Promise<RegistrationMode> {
    await this.require(actor);
    return this.o.registration.mode();
  }

  async setRegistration(actor: UserRef, mode: string): Promise<void> {
    await this.require(actor);
    if (!isRegistrationMode(mode)) throw new ParleyError("INVALID", "mode: open, invite or closed");
    await this.o.store.setSetting(REGISTRATION_KEY, mode, this.by(actor));
  }

  /** A registration invite code, shown once. */
  async createInvite(
    actor: UserRef,
    seconds = 7 * 24 * 3600,
    uses = 1,
  ): Promise<{ id: number; code: string; expiresAt: number; maxUses: number }> {
    await this.require(actor);
    if (!Number.isSafeInteger(seconds) || seconds < 60 || seconds > INVITE_MAX_SECONDS) {
      throw new ParleyError("INVALID", `seconds: 60 to ${INVITE_MAX_SECONDS}`);
    }
    if (!Number.isSafeInteger(uses) || uses < 1 || uses > INVITE_MAX_USES) {
      throw new ParleyError("INVALID", `uses: 1 to ${INVITE_MAX_USES}`);
    }
    const code = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
    const expiresAt = this.o.now() + seconds * 1000;
    const id = await this.o.store.createServerInvite(
      await sha256Hex(code),
      expiresAt,
      uses,
      this.by(actor),
    );
    return { id, code, expiresAt, maxUses: uses };
  }

  async auditLog(actor: UserRef, limit = 200): Promise<AuditEntry[]> {
    await this.require(actor);
    return this.o.store.auditLog(undefined, Math.min(Math.max(limit, 1), 1000));
  }

  /** The user deletes their own account (after proving the password, in the route). */
  async deleteOwnAccount(user: UserRef): Promise<void> {
    await this.o.store.deleteAccount(user.id, this.by(user));
    this.o.endUser?.(user.id);
  }

  async deleteAccount(actor: UserRef, name: string, reason = ""): Promise<void> {
    await this.require(actor);
    const user = await this.target(name);
    await this.o.store.deleteAccount(user.id, this.by(actor, reason));
    this.o.endUser?.(user.id);
  }
}
