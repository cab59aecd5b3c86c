/**
 * Accounts and sessions: users by name, their login sessions (kept as token hashes only) and
 * the one-use WebSocket tickets that stand for a session.
 */
import type { UserRef } from "../src/protocol/index.ts";

export interface UserRecord {
  id: number;
  name: string;
  passwordHash: string;
}

export interface SessionRecord {
  user: UserRef;
  expiresAt: number;
}

/** A session as its owner sees it listed. */
export interface SessionInfo {
  /** SHA-256 of the token, hex: the key to revoke it by; the token itself is never stored. */
  tokenHash: string;
  createdAt: number;
  /** The last WebSocket connection or login with it (0 when never recorded). */
  lastSeenAt: number;
  expiresAt: number;
  /** The client's User-Agent when last seen, cut to 200 characters ("" when unknown). */
  agent: string;
}

export interface AccountStore {
  createUser(name: string, passwordHash: string, now: number): Promise<UserRecord | "taken">;
  findUser(name: string): Promise<UserRecord | undefined>;
  findUserById(id: number): Promise<UserRef | undefined>;
  setPassword(userId: number, passwordHash: string): Promise<void>;

  createSession(userId: number, tokenHash: string, now: number, expiresAt: number): Promise<void>;
  /** The live session for a token hash, or undefined when unknown or expired. */
  findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined>;
  deleteSession(tokenHash: string): Promise<boolean>;
  /** Deletes expired sessions (and expired WebSocket tickets); the count of sessions deleted. */
  deleteExpiredSessions(now: number): Promise<number>;
  /** The user's live sessions, the most recently created first. */
  listSessions(userId: number, now: number): Promise<SessionInfo[]>;
  /** Deletes the user's sessions, all or all but `keep`; the token hashes it deleted. */
  deleteSessionsOf(userId: number, keep?: string): Promise<string[]>;
  /** Records a session's latest use, and the client's User-Agent when given. */
  touchSession(tokenHash: string, now: number, agent?: string): Promise<void>;
  /** The token hashes among these that still name a live (unexpired) session. */
  liveSessions(tokenHashes: readonly string[], now: number): Promise<Set<string>>;

  /** Stores a WebSocket ticket's hash for a session until expiresAt. */
  createTicket(ticketHash: string, tokenHash: string, expiresAt: number): Promise<void>;
  /** The session token hash of a live ticket, deleting the ticket: each works once. */
  consumeTicket(ticketHash: string, now: number): Promise<string | undefined>;
}
