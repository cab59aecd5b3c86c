/**
 * Session revocation that reaches every node: logout, "sign out this session / all sessions",
 * a password change, disabling or banning a user. The store is the truth (a revoked session's
 * row is gone); this module closes the sockets that still use it, wherever they are.
 *
 * API for routes (the caller deletes the session rows first, then calls one of these):
 *   revocation.revokeSessions(tokenHashes)          close the sockets of these sessions
 *   revocation.revokeUser(userId, { except? })      close every socket of the user, except
 *                                                   those of the session `except` (its hash)
 *   revocation.removeFromRoom(userId, room, why)    a kick, ban or room deletion: the user's
 *                                                   sockets leave the room (they stay open)
 * Both close matching sockets on this node at once, with CLOSE.SESSION_ENDED, and send a signal
 * on the bus, so every other node does the same within one bus hop (milliseconds). A signal can
 * be lost (Redis down at that moment), so each node also re-checks the sessions of all its open
 * sockets against the store every `checkMs`, in batches: a socket whose session row is gone or
 * expired is closed within `checkMs` plus one store read, whatever happened to the signal.
 */
import type { Store } from "../../db/store.ts";
import type { Bus } from "../bus/bus.ts";
import { errorFields, type Logger } from "../log/log.ts";
import { CLOSE } from "../protocol/index.ts";
import type { Socket } from "./hub.ts";

export interface RevocationOptions {
  store: Store;
  bus: Bus;
  log: Logger;
  now: () => number;
  /** This node's open sockets. */
  sockets: () => Iterable<Socket>;
  /** How often every open socket's session is checked against the store; 0 never. @default 5000 */
  checkMs?: number;
  /** Takes this node's sockets of the user out of the room, telling them why. */
  leaveRoom?: (userId: number, room: number, why: RemovedReason) => void;
}

export type RemovedReason = "kicked" | "banned" | "deleted";

type Signal =
  | { t: "sessions"; h: string[] }
  | { t: "user"; u: number; x?: string }
  | { t: "room"; u: number; r: number; w: RemovedReason }
  | { t: "tell"; u: number; f: string };

const REMOVED_REASONS: ReadonlySet<string> = new Set(["kicked", "banned", "deleted"]);

/** Sessions checked per store call. */
const CHECK_CHUNK = 1000;
/** Most token hashes in one signal; a longer list goes as several. */
const SIGNAL_CHUNK = 500;

export class Revocation {
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private checking = false;

  constructor(private readonly o: RevocationOptions) {
    const checkMs = o.checkMs ?? 5000;
    if (checkMs > 0) {
      this.timer = setInterval(() => void this.check(), checkMs);
      this.timer.unref?.();
    }
  }

  /** Closes, on every node, the sockets of these sessions (by token hash). */
  revokeSessions(tokenHashes: readonly string[]): void {
    if (tokenHashes.length === 0) return;
    this.closeSessions(new Set(tokenHashes));
    for (let i = 0; i < tokenHashes.length; i += SIGNAL_CHUNK) {
      this.send({ t: "sessions", h: tokenHashes.slice(i, i + SIGNAL_CHUNK) });
    }
  }

  /** Closes, on every node, every socket of the user but those of session `except`. */
  revokeUser(userId: number, options: { except?: string } = {}): void {
    this.closeUser(userId, options.except);
    this.send(
      options.except === undefined
        ? { t: "user", u: userId }
        : { t: "user", u: userId, x: options.except },
    );
  }

  /**
   * Takes the user out of the room on every node: their sockets there stop receiving it at
   * once. The membership row is already gone, so a lost signal still leaves them unable to
   * read, send or resume it; only live delivery would linger, until their next reconnect.
   */
  removeFromRoom(userId: number, room: number, why: RemovedReason): void {
    this.o.leaveRoom?.(userId, room, why);
    this.send({ t: "room", u: userId, r: room, w: why });
  }

  /**
   * Sends an encoded frame to every socket of the user, on every node (an invitation). Only by
   * the signal, which reaches this node too: sending here as well would say it twice. A lost
   * signal loses only the live frame; what it tells is in the store to be listed.
   */
  tell(userId: number, frame: string): void {
    this.send({ t: "tell", u: userId, f: frame });
  }

  /** A signal from the bus (any node's, ours included: closing twice is harmless). */
  receive(message: string): void {
    let signal: Signal;
    try {
      signal = JSON.parse(message) as Signal;
    } catch {
      this.o.log.warn("revocation.malformed", { bytes: message.length });
      return;
    }
    if (signal.t === "sessions" && Array.isArray(signal.h)) this.closeSessions(new Set(signal.h));
    else if (signal.t === "tell" && Number.isSafeInteger(signal.u) && typeof signal.f === "string")
      this.sendToUser(signal.u, signal.f);
    else if (signal.t === "user" && Number.isSafeInteger(signal.u))
      this.closeUser(signal.u, signal.x);
    else if (
      signal.t === "room" &&
      Number.isSafeInteger(signal.u) &&
      Number.isSafeInteger(signal.r) &&
      REMOVED_REASONS.has(signal.w)
    )
      this.o.leaveRoom?.(signal.u, signal.r, signal.w);
  }

  /** Closes this node's sockets whose session is no longer in the store. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      // A bot's API token is no session row (bots.ts): its revocation travels by the signal.
      const hashes = [
        ...new Set(
          [...this.o.sockets()]
            .filter((ws) => ws.data.session.scope === undefined)
            .map((ws) => ws.data.session.tokenHash),
        ),
      ];
      const gone = new Set<string>();
      for (let i = 0; i < hashes.length; i += CHECK_CHUNK) {
        const chunk = hashes.slice(i, i + CHECK_CHUNK);
        const live = await this.o.store.liveSessions(chunk, this.o.now());
        for (const h of chunk) if (!live.has(h)) gone.add(h);
      }
      if (gone.size > 0) this.closeSessions(gone);
    } catch (err) {
      this.o.log.warn("revocation.check_failed", errorFields(err));
    } finally {
      this.checking = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sendToUser(userId: number, frame: string): void {
    for (const ws of this.o.sockets()) if (ws.data.session.user.id === userId) ws.send(frame);
  }

  private send(signal: Signal): void {
    this.o.bus.signal(JSON.stringify(signal));
  }

  private closeSessions(hashes: ReadonlySet<string>): void {
    for (const ws of [...this.o.sockets()]) {
      if (hashes.has(ws.data.session.tokenHash)) this.end(ws);
    }
  }

  private closeUser(userId: number, except: string | undefined): void {
    for (const ws of [...this.o.sockets()]) {
      if (ws.data.user.id === userId && ws.data.session.tokenHash !== except) this.end(ws);
    }
  }

  private end(ws: Socket): void {
    if (ws.data.delivery.state === "closed") return;
    this.o.log.info("session.revoked", { conn: ws.data.id, user: ws.data.user.id });
    ws.close(CLOSE.SESSION_ENDED, "session ended");
  }
}
