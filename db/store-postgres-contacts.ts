/** The PostgreSQL store's social graph: contacts, blocks and DM policy (contact-store.ts). */
import type { DmPolicy } from "../src/protocol/index.ts";
import type { ContactStore } from "./contact-store.ts";
import type { Run } from "./store-postgres-pool.ts";
import { type Int, toUsers } from "./store-postgres-rows.ts";

export class PostgresContacts implements ContactStore {
  constructor(private readonly run: Run) {}

  async addContact(userId: number, contactId: number, now: number) {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO contacts (user_id, contact_id, created_at) VALUES (${userId}, ${contactId}, ${now})
        ON CONFLICT DO NOTHING`,
    );
    return res.count > 0;
  }

  async removeContact(userId: number, contactId: number) {
    const res = await this.run(
      ({ sql }) => sql`
        DELETE FROM contacts WHERE user_id = ${userId} AND contact_id = ${contactId}`,
    );
    return res.count > 0;
  }

  async contactsOf(userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name FROM contacts c JOIN users u ON u.id = c.contact_id
        WHERE c.user_id = ${userId} ORDER BY u.name_key COLLATE "C"`,
    );
    return toUsers(rows);
  }

  async isContact(userId: number, contactId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT 1 FROM contacts WHERE user_id = ${userId} AND contact_id = ${contactId}`,
    );
    return rows.length > 0;
  }

  async acceptedBy(userId: number): Promise<number[]> {
    const rows = await this.run(
      ({ sql }) => sql`SELECT user_id FROM contacts WHERE contact_id = ${userId}`,
    );
    return (rows as { user_id: Int }[]).map((r) => Number(r.user_id));
  }

  async block(userId: number, blockedId: number, now: number) {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (${userId}, ${blockedId}, ${now})
        ON CONFLICT DO NOTHING`,
    );
    return res.count > 0;
  }

  async unblock(userId: number, blockedId: number) {
    const res = await this.run(
      ({ sql }) => sql`DELETE FROM blocks WHERE user_id = ${userId} AND blocked_id = ${blockedId}`,
    );
    return res.count > 0;
  }

  async blockedBy(userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.user_id = ${userId} ORDER BY u.name_key COLLATE "C"`,
    );
    return toUsers(rows);
  }

  async hasBlocked(userId: number, otherId: number) {
    const rows = await this.run(
      ({ sql }) => sql`SELECT 1 FROM blocks WHERE user_id = ${userId} AND blocked_id = ${otherId}`,
    );
    return rows.length > 0;
  }

  async blockersOf(userId: number): Promise<number[]> {
    const rows = await this.run(
      ({ sql }) => sql`SELECT user_id FROM blocks WHERE blocked_id = ${userId}`,
    );
    return (rows as { user_id: Int }[]).map((r) => Number(r.user_id));
  }

  async dmPolicy(userId: number): Promise<DmPolicy> {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT dm_policy FROM users WHERE id = ${userId}`,
    );
    return row?.dm_policy ?? "everyone";
  }

  async setDmPolicy(userId: number, policy: DmPolicy) {
    await this.run(({ sql }) => sql`UPDATE users SET dm_policy = ${policy} WHERE id = ${userId}`);
  }
}
