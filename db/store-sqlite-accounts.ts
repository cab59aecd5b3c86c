/** The SQLite store's accounts and sessions (account-store.ts). */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { nameKey } from "../src/protocol/index.ts";
import type { AccountStore, SessionInfo, SessionRecord, UserRecord } from "./account-store.ts";

function prepare(db: Database) {
  const s = <R, P extends SQLQueryBindings[]>(sql: string): Statement<R, P> =>
    db.query<R, P>(sql) as Statement<R, P>;
  return {
    insertUser: s<{ id: number }, [string, string, string, number]>(
      `INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    ),
    findUser: s<UserRecord, [string]>(
      "SELECT id, name, password_hash AS passwordHash FROM users WHERE name_key = ?",
    ),
    findUserById: s<{ id: number; name: string }, [number]>(
      "SELECT id, name FROM users WHERE id = ?",
    ),
    setPassword: s<never, [string, number]>("UPDATE users SET password_hash = ? WHERE id = ?"),
    insertSession: s<never, [string, number, number, number]>(
      "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    ),
    findSession: s<{ id: number; name: string; expiresAt: number }, [string, number]>(
      `SELECT u.id, u.name, s.expires_at AS expiresAt FROM sessions s
       JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?
       AND u.disabled_at IS NULL`,
    ),
    deleteSession: s<never, [string]>("DELETE FROM sessions WHERE token_hash = ?"),
    deleteExpired: s<never, [number]>("DELETE FROM sessions WHERE expires_at <= ?"),
    deleteExpiredTickets: s<never, [number]>("DELETE FROM ws_tickets WHERE expires_at <= ?"),
    listSessions: s<SessionInfo, [number, number]>(
      `SELECT token_hash AS tokenHash, created_at AS createdAt, last_seen_at AS lastSeenAt,
         expires_at AS expiresAt, agent FROM sessions WHERE user_id = ? AND expires_at > ?
       ORDER BY created_at DESC, token_hash`,
    ),
    deleteSessionsOf: s<{ tokenHash: string }, [number, string]>(
      "DELETE FROM sessions WHERE user_id = ? AND token_hash != ? RETURNING token_hash AS tokenHash",
    ),
    touchSession: s<never, [number, string | null, string]>(
      "UPDATE sessions SET last_seen_at = ?, agent = coalesce(?, agent) WHERE token_hash = ?",
    ),
    liveSessions: s<{ hash: string }, [string, number]>(
      `SELECT token_hash AS hash FROM sessions s
       WHERE token_hash IN (SELECT value FROM json_each(?)) AND expires_at > ?
       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.disabled_at IS NOT NULL)`,
    ),
    insertTicket: s<never, [string, string, number]>(
      "INSERT INTO ws_tickets (ticket_hash, token_hash, expires_at) VALUES (?, ?, ?)",
    ),
    consumeTicket: s<{ tokenHash: string }, [string, number]>(
      "DELETE FROM ws_tickets WHERE ticket_hash = ? AND expires_at > ? RETURNING token_hash AS tokenHash",
    ),
  };
}

export class SqliteAccounts implements AccountStore {
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: Database) {
    this.q = prepare(db);
  }

  async createUser(name: string, passwordHash: string, now: number) {
    const row = this.q.insertUser.get(name, nameKey(name), passwordHash, now);
    return row ? { id: row.id, name, passwordHash } : "taken";
  }

  async findUser(name: string): Promise<UserRecord | undefined> {
    return this.q.findUser.get(nameKey(name)) ?? undefined;
  }

  async findUserById(id: number) {
    return this.q.findUserById.get(id) ?? undefined;
  }

  async setPassword(userId: number, passwordHash: string) {
    this.q.setPassword.run(passwordHash, userId);
  }

  async createSession(userId: number, tokenHash: string, now: number, expiresAt: number) {
    this.q.insertSession.run(tokenHash, userId, now, expiresAt);
  }

  async findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    const row = this.q.findSession.get(tokenHash, now);
    return row ? { user: { id: row.id, name: row.name }, expiresAt: row.expiresAt } : undefined;
  }

  async deleteSession(tokenHash: string) {
    return this.q.deleteSession.run(tokenHash).changes > 0;
  }

  async deleteExpiredSessions(now: number) {
    this.q.deleteExpiredTickets.run(now);
    return this.q.deleteExpired.run(now).changes;
  }

  async listSessions(userId: number, now: number) {
    return this.q.listSessions.all(userId, now);
  }

  async deleteSessionsOf(userId: number, keep?: string) {
    return this.q.deleteSessionsOf.all(userId, keep ?? "").map((r) => r.tokenHash);
  }

  async touchSession(tokenHash: string, now: number, agent?: string) {
    this.q.touchSession.run(now, agent === undefined ? null : agent.slice(0, 200), tokenHash);
  }

  async liveSessions(tokenHashes: readonly string[], now: number) {
    return new Set(this.q.liveSessions.all(JSON.stringify(tokenHashes), now).map((r) => r.hash));
  }

  async createTicket(ticketHash: string, tokenHash: string, expiresAt: number) {
    this.q.insertTicket.run(ticketHash, tokenHash, expiresAt);
  }

  async consumeTicket(ticketHash: string, now: number) {
    return this.q.consumeTicket.get(ticketHash, now)?.tokenHash;
  }
}
