/**
 * Contacts, blocks and who may send a user DMs. Refusals caused by someone else's choices are
 * neutral (DM_REFUSED): the sender learns neither that they are blocked nor the recipient's policy.
 */
import type { Store } from "../../db/store.ts";
import {
  type DmPolicy,
  type Member,
  ParleyError,
  type UserRef,
  type UserStatus,
} from "../protocol/index.ts";
import type { PresenceVisibility } from "./presence-visibility.ts";

export interface ContactsView {
  contacts: Omit<Member, "online">[];
  blocked: UserRef[];
  dmPolicy: DmPolicy;
}

export class Contacts {
  constructor(
    private readonly store: Store,
    private readonly statusesOf: (userIds: readonly number[]) => Promise<Map<number, UserStatus>>,
    private readonly now: () => number,
    private readonly visibility: PresenceVisibility,
  ) {}

  async view(user: UserRef): Promise<ContactsView> {
    const [contacts, blocked, dmPolicy] = await Promise.all([
      this.store.contactsOf(user.id),
      this.store.blockedBy(user.id),
      this.store.dmPolicy(user.id),
    ]);
    const ids = contacts.map((c) => c.id);
    const [statuses, visible] = await Promise.all([
      this.statusesOf(ids),
      this.visibility.visibleTo(user.id, ids),
    ]);
    // A contact who has not accepted us (and shares no room) or blocked us shows as offline.
    const statusOf = (id: number) =>
      visible.has(id) ? (statuses.get(id) ?? "offline") : "offline";
    return {
      contacts: contacts.map((c) => ({ ...c, status: statusOf(c.id) })),
      blocked,
      dmPolicy,
    };
  }

  /** The other user, by name; never oneself. */
  async other(user: UserRef, name: string): Promise<UserRef> {
    const found = await this.store.findUser(name);
    if (!found) throw new ParleyError("USER_NOT_FOUND");
    if (found.id === user.id) throw new ParleyError("INVALID", "That is you.");
    return { id: found.id, name: found.name };
  }

  async add(user: UserRef, name: string): Promise<ContactsView> {
    await this.store.addContact(user.id, (await this.other(user, name)).id, this.now());
    return this.view(user);
  }

  async remove(user: UserRef, name: string): Promise<ContactsView> {
    await this.store.removeContact(user.id, (await this.other(user, name)).id);
    return this.view(user);
  }

  async block(user: UserRef, name: string): Promise<ContactsView> {
    await this.store.block(user.id, (await this.other(user, name)).id, this.now());
    return this.view(user);
  }

  async unblock(user: UserRef, name: string): Promise<ContactsView> {
    await this.store.unblock(user.id, (await this.other(user, name)).id);
    return this.view(user);
  }

  async setPolicy(user: UserRef, policy: DmPolicy): Promise<ContactsView> {
    await this.store.setDmPolicy(user.id, policy);
    return this.view(user);
  }

  /** Throws DM_REFUSED unless the recipient accepts DMs from the sender. */
  async requireDmAllowed(sender: UserRef, recipientId: number): Promise<void> {
    const [blocked, policy] = await Promise.all([
      this.store.hasBlocked(recipientId, sender.id),
      this.store.dmPolicy(recipientId),
    ]);
    if (blocked) throw new ParleyError("DM_REFUSED");
    if (policy === "contacts" && !(await this.store.isContact(recipientId, sender.id))) {
      throw new ParleyError("DM_REFUSED");
    }
  }
}
