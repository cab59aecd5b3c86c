/** The social graph: each user's contacts and blocks (one way each) and who may DM them. */
import type { DmPolicy, UserRef } from "../src/protocol/index.ts";

export interface ContactStore {
  /** True when it was not a contact before. */
  addContact(userId: number, contactId: number, now: number): Promise<boolean>;
  removeContact(userId: number, contactId: number): Promise<boolean>;
  contactsOf(userId: number): Promise<UserRef[]>;
  isContact(userId: number, contactId: number): Promise<boolean>;
  /** The ids of the users who have userId among their contacts. */
  acceptedBy(userId: number): Promise<number[]>;
  block(userId: number, blockedId: number, now: number): Promise<boolean>;
  unblock(userId: number, blockedId: number): Promise<boolean>;
  blockedBy(userId: number): Promise<UserRef[]>;
  /** True when userId has blocked otherId. */
  hasBlocked(userId: number, otherId: number): Promise<boolean>;
  /** The ids of the users who have blocked userId. */
  blockersOf(userId: number): Promise<number[]>;
  dmPolicy(userId: number): Promise<DmPolicy>;
  setDmPolicy(userId: number, policy: DmPolicy): Promise<void>;
}
