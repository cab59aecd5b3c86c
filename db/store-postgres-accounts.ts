/** The PostgreSQL store's accounts and sessions (account-store.ts). */
import type { UserRef } from "../src/protocol/index.ts";
import { nameKey } from "../src/protocol/index.ts";
import type { AccountStore, SessionInfo, SessionRecord, UserRecord } from "./account-store.ts";
import type { Run } from "./store-postgres-pool.ts";
import { type Int, toUsers } from "./store-postgres-rows.ts";

export class PostgresAccounts implements AccountStore {
  constructor(private readonly run: Run) {}

  async createUser(name: string, passwordHash: string, now: number) {
    const [row] = await this.run(
      ({ sql }) => sql`
        INSERT INTO users (name, name_key, password_hash, created_at)
        VALUES (${name}, ${nameKey(name)}, ${passwordHash}, ${now})
        ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    );
    return row ? { id: Number(row.id), name, passwordHash } : "taken";
  }

  async findUser(name: string): Promise<UserRecord | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT id, name, password_hash FROM users WHERE name_key = ${nameKey(name)}`,
    );
    return row
      ? { id: Number(row.id), name: row.name, passwordHash: row.password_hash }
      : undefined;
  }

  async findUserById(id: number): Promise<UserRef | undefined> {
    const rows = await this.run(({ sql }) => sql`SELECT id, name FROM users WHERE id = ${id}`);
    return toUsers(rows)[0];
  }

  async setPassword(userId: number, passwordHash: string) {
    await this.run(
      ({ sql }) => sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${userId}`,
    );
  }

  async createSession(userId: number, tokenHash: string, now: number, expiresAt: number) {
    await this.run(
      ({ sql }) => sql`
        INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
        VALUES (${tokenHash}, ${userId}, ${now}, ${expiresAt})`,
    );
  }

  async findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ${tokenHash} AND s.expires_at > ${now} AND u.disabled_at IS NULL`,
    );
    return row
      ? { user: { id: Number(row.id), name: row.name }, expiresAt: Number(row.expires_at) }
      : undefined;
  }

  async deleteSession(tokenHash: string) {
    const res = await this.run(
      ({ sql }) => sql`DELETE FROM sessions WHERE token_hash = ${tokenHash}`,
    );
    return res.count > 0;
  }

  async deleteExpiredSessions(now: number) {
    await this.run(({ sql }) => sql`DELETE FROM ws_tickets WHERE expires_at <= ${now}`);
    const res = await this.run(({ sql }) => sql`DELETE FROM sessions WHERE expires_at <= ${now}`);
    return res.count as number;
  }

  async listSessions(userId: number, now: number): Promise<SessionInfo[]> {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT token_hash, created_at, last_seen_at, expires_at, agent FROM sessions
        WHERE user_id = ${userId} AND expires_at > ${now}
        ORDER BY created_at DESC, token_hash COLLATE "C"`,
    );
    return (rows as Record<string, Int>[]).map((r) => ({
      tokenHash: String(r.token_hash),
      createdAt: Number(r.created_at),
      lastSeenAt: Number(r.last_seen_at),
      expiresAt: Number(r.expires_at),
      agent: String(r.agent),
    }));
  }

  async deleteSessionsOf(userId: number, keep = ""): Promise<string[]> {
    const rows = await this.run(
      ({ sql }) => sql`
        DELETE FROM sessions WHERE user_id = ${userId} AND token_hash <> ${keep}
        RETURNING token_hash`,
    );
    return (rows as { token_hash: string }[]).map((r) => r.token_hash);
  }

  async touchSession(tokenHash: string, now: number, agent?: string) {
    const cut = agent === undefined ? null : agent.slice(0, 200);
    await this.run(
      ({ sql }) => sql`
        UPDATE sessions SET last_seen_at = ${now}, agent = coalesce(${cut}, agent)
        WHERE token_hash = ${tokenHash}`,
    );
  }

  async liveSessions(tokenHashes: readonly string[], now: number) {
    if (tokenHashes.length === 0) return new Set<string>();
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT token_hash FROM sessions s
        WHERE token_hash = ANY(${[...tokenHashes]}::text[]) AND expires_at > ${now}
        AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.disabled_at IS NOT NULL)`,
    );
    return new Set((rows as { token_hash: string }[]).map((r) => r.token_hash));
  }

  async createTicket(ticketHash: string, tokenHash: string, expiresAt: number) {
    await this.run(
      ({ sql }) => sql`
        INSERT INTO ws_tickets (ticket_hash, token_hash, expires_at)
        VALUES (${ticketHash}, ${tokenHash}, ${expiresAt})`,
    );
  }

  async consumeTicket(ticketHash: string, now: number) {
    const [row] = await this.run(
      ({ sql }) => sql`
        DELETE FROM ws_tickets WHERE ticket_hash = ${ticketHash} AND expires_at > ${now}
        RETURNING token_hash`,
    );
    return row ? String(row.token_hash) : undefined;
  }
}
