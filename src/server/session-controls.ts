/**
 * What a user controls about their sessions: single-use WebSocket tickets (so the long-lived
 * token never travels in a URL), the list of their sessions, revoking one or all others, and
 * changing the password, which revokes every other session.
 *
 * Every revocation closes the revoked sessions' sockets through `endSessions`, the one place
 * that does so (server.ts), so it can be routed to every node later.
 */
import type { SessionInfo, Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import { ParleyError, type SessionView } from "../protocol/index.ts";
import { type Auth, hashToken, type Session } from "./auth.ts";

/** How long a ticket may wait before the upgrade it is for. */
export const TICKET_TTL_MS = 30_000;
/** Characters of the token hash that name a session in lists and revocations (64 bits). */
const SESSION_ID_CHARS = 16;
/** A session's "last seen" is written at most this often per node: reconnect storms stay cheap. */
const SEEN_EVERY_MS = 5 * 60_000;
const SEEN_KEYS_MAX = 100_000;

export type EndSessions = (userId: number, tokenHashes: readonly string[]) => void;

export interface SessionControlsOptions {
  store: Store;
  auth: Auth;
  log: Logger;
  now: () => number;
  endSessions: EndSessions;
}

function randomTicket(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

export class SessionControls {
  /** When this node last recorded each session as seen. */
  private readonly seenAt = new Map<string, number>();

  constructor(private readonly o: SessionControlsOptions) {}

  /** Records that a session connected (and with which client), at most every few minutes. */
  async seen(session: Session, agent: string | undefined): Promise<void> {
    const now = this.o.now();
    const last = this.seenAt.get(session.tokenHash);
    if (last !== undefined && now - last < SEEN_EVERY_MS) return;
    if (this.seenAt.size >= SEEN_KEYS_MAX) this.seenAt.clear();
    this.seenAt.set(session.tokenHash, now);
    await this.o.store.touchSession(session.tokenHash, now, agent);
  }

  async ticket(session: Session): Promise<{ ticket: string; expiresAt: number }> {
    const ticket = randomTicket();
    const expiresAt = this.o.now() + TICKET_TTL_MS;
    await this.o.store.createTicket(hashToken(ticket), session.tokenHash, expiresAt);
    return { ticket, expiresAt };
  }

  /** The live session a ticket was issued for, using the ticket up; never throws for a bad one. */
  async redeem(ticket: string | null): Promise<Session | undefined> {
    if (!ticket || ticket.length > 128) return undefined;
    const now = this.o.now();
    const tokenHash = await this.o.store.consumeTicket(hashToken(ticket), now);
    if (!tokenHash) return undefined;
    const found = await this.o.store.findSession(tokenHash, now);
    return found ? { user: found.user, tokenHash, expiresAt: found.expiresAt } : undefined;
  }

  async list(session: Session): Promise<SessionView[]> {
    const rows = await this.o.store.listSessions(session.user.id, this.o.now());
    return rows.map((r: SessionInfo) => ({
      id: r.tokenHash.slice(0, SESSION_ID_CHARS),
      createdAt: r.createdAt,
      lastSeenAt: r.lastSeenAt,
      expiresAt: r.expiresAt,
      agent: r.agent,
      current: r.tokenHash === session.tokenHash,
    }));
  }

  /** Revokes one of the user's sessions by its listed id; SESSION_NOT_FOUND if none has it. */
  async revoke(session: Session, id: string): Promise<void> {
    const rows = await this.o.store.listSessions(session.user.id, this.o.now());
    const match = rows.find((r) => id.length === SESSION_ID_CHARS && r.tokenHash.startsWith(id));
    if (!match || !(await this.o.store.deleteSession(match.tokenHash))) {
      throw new ParleyError("SESSION_NOT_FOUND");
    }
    this.o.endSessions(session.user.id, [match.tokenHash]);
    this.o.log.info("session.revoked", { user: session.user.id, count: 1 });
  }

  /** Revokes every session of the user but this one; how many it revoked. */
  async revokeOthers(session: Session): Promise<number> {
    const gone = await this.o.store.deleteSessionsOf(session.user.id, session.tokenHash);
    this.o.endSessions(session.user.id, gone);
    this.o.log.info("session.revoked", { user: session.user.id, count: gone.length });
    return gone.length;
  }

  /**
   * Changes the password after checking the current one (under the login throttles, so a
   * stolen token cannot guess it), then revokes every other session. WRONG_PASSWORD rather
   * than INVALID_CREDENTIALS: a 401 would tell the client its own session ended.
   */
  async changePassword(
    session: Session,
    current: string,
    next: string,
    address: string,
  ): Promise<number> {
    try {
      await this.o.auth.verify(session.user.name, current, address);
    } catch (err) {
      if (err instanceof ParleyError && err.code === "INVALID_CREDENTIALS") {
        throw new ParleyError("WRONG_PASSWORD");
      }
      throw err;
    }
    const hash = await this.o.auth.newPasswordHash(next);
    await this.o.store.setPassword(session.user.id, hash);
    this.o.log.info("password.changed", { user: session.user.id });
    return this.revokeOthers(session);
  }
}
