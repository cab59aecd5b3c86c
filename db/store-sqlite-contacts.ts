/** The SQLite store's social graph: contacts, blocks and DM policy (contact-store.ts). */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { DmPolicy } from "../src/protocol/index.ts";
import type { ContactStore } from "./contact-store.ts";

function prepare(db: Database) {
  const s = <R, P extends SQLQueryBindings[]>(sql: string): Statement<R, P> =>
    db.query<R, P>(sql) as Statement<R, P>;
  return {
    addContact: s<never, [number, number, number]>(
      "INSERT INTO contacts (user_id, contact_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    removeContact: s<never, [number, number]>(
      "DELETE FROM contacts WHERE user_id = ? AND contact_id = ?",
    ),
    contactsOf: s<{ id: number; name: string }, [number]>(
      `SELECT u.id, u.name FROM contacts c JOIN users u ON u.id = c.contact_id
       WHERE c.user_id = ? ORDER BY u.name_key`,
    ),
    isContact: s<{ one: number }, [number, number]>(
      "SELECT 1 AS one FROM contacts WHERE user_id = ? AND contact_id = ?",
    ),
    acceptedBy: s<{ id: number }, [number]>(
      "SELECT user_id AS id FROM contacts WHERE contact_id = ?",
    ),
    block: s<never, [number, number, number]>(
      "INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    unblock: s<never, [number, number]>("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?"),
    blockedBy: s<{ id: number; name: string }, [number]>(
      `SELECT u.id, u.name FROM blocks b JOIN users u ON u.id = b.blocked_id
       WHERE b.user_id = ? ORDER BY u.name_key`,
    ),
    hasBlocked: s<{ one: number }, [number, number]>(
      "SELECT 1 AS one FROM blocks WHERE user_id = ? AND blocked_id = ?",
    ),
    blockersOf: s<{ id: number }, [number]>(
      "SELECT user_id AS id FROM blocks WHERE blocked_id = ?",
    ),
    dmPolicy: s<{ policy: DmPolicy }, [number]>(
      "SELECT dm_policy AS policy FROM users WHERE id = ?",
    ),
    setDmPolicy: s<never, [string, number]>("UPDATE users SET dm_policy = ? WHERE id = ?"),
  };
}

export class SqliteContacts implements ContactStore {
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: Database) {
    this.q = prepare(db);
  }

  async addContact(userId: number, contactId: number, now: number) {
    return this.q.addContact.run(userId, contactId, now).changes > 0;
  }

  async removeContact(userId: number, contactId: number) {
    return this.q.removeContact.run(userId, contactId).changes > 0;
  }

  async contactsOf(userId: number) {
    return this.q.contactsOf.all(userId);
  }

  async isContact(userId: number, contactId: number) {
    return this.q.isContact.get(userId, contactId) !== null;
  }

  async acceptedBy(userId: number) {
    return this.q.acceptedBy.all(userId).map((r) => r.id);
  }

  async block(userId: number, blockedId: number, now: number) {
    return this.q.block.run(userId, blockedId, now).changes > 0;
  }

  async unblock(userId: number, blockedId: number) {
    return this.q.unblock.run(userId, blockedId).changes > 0;
  }

  async blockedBy(userId: number) {
    return this.q.blockedBy.all(userId);
  }

  async hasBlocked(userId: number, otherId: number) {
    return this.q.hasBlocked.get(userId, otherId) !== null;
  }

  async blockersOf(userId: number) {
    return this.q.blockersOf.all(userId).map((r) => r.id);
  }

  async dmPolicy(userId: number): Promise<DmPolicy> {
    return this.q.dmPolicy.get(userId)?.policy ?? "everyone";
  }

  async setDmPolicy(userId: number, policy: DmPolicy) {
    this.q.setDmPolicy.run(policy, userId);
  }
}
