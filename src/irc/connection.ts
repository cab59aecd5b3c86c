/**
 * One IRC client: its negotiation and login state, the bytes going out (with a bound, as for
 * WebSockets), and its face towards the hub. Once logged in, the connection is a socket like any
 * WebSocket to presence, caps and delivery: the hub sends it the same encoded frames, and it turns
 * them into IRC lines for the channels it is in. DM frames are never rendered.
 */

import { errorFields } from "../log/log.ts";
import type { Message, ServerFrame, UserRef, UserStatus } from "../protocol/index.ts";
import { hashToken, type Issued } from "../server/auth.ts";
import type { ConnectionData, Socket } from "../server/hub.ts";
import { topicOf } from "../server/hub.ts";
import type { RemovedReason } from "../server/revocation.ts";
import { type Capability, CapSet } from "./caps.ts";
import { eventLines, renameLines } from "./changes.ts";
import type { IrcContext } from "./context.ts";
import { serialize } from "./message.ts";
import { channelOf, nickOf, sourceOf } from "./names.ts";
import { isoTime, msgidOf, privmsgTexts } from "./render.ts";
import type { OutMessage, ReplySink } from "./reply.ts";

export type Phase = "registering" | "registered" | "closed";

/**
 * What the hub, presence and replay use of a socket; the IRC connection's face implements these
 * (checked), and is handed over as a Socket. A new use there must be added here.
 */
type HubUses = "data" | "send" | "subscribe" | "unsubscribe" | "close" | "getBufferedAmount";

/** The KICK reason for each way of being removed from a room (kicks and bans by a moderator). */
const REMOVED_TEXT: Record<RemovedReason, string> = {
  kicked: "Kicked from the room by a moderator",
  banned: "Banned from the room by a moderator",
  deleted: "The room was deleted",
};

/** The byte stream under a connection: a Bun TCP or TLS socket. */
export interface Transport {
  write(data: Uint8Array): number;
  end(): void;
}

export interface SaslState {
  mechanism: "PLAIN" | undefined;
  buffer: string;
}

/** Which capability a tag needs before a client may be sent it. */
function capabilityOfTag(key: string): Capability | undefined {
  if (key === "time") return "server-time";
  if (key === "account") return "account-tag";
  if (key === "batch") return "batch";
  if (key === "label") return "labeled-response";
  return "message-tags";
}

/** Own sends remembered so their live copy is not shown twice; bounded. */
const OWN_CIDS_MAX = 1024;
/** How often read markers are written: every line need not be a store write. */
const READ_FLUSH_MS = 1000;
const encoder = new TextEncoder();

export class IrcConnection implements ReplySink {
  phase: Phase = "registering";
  readonly caps = new CapSet();
  /** The nick asked for before login; the account's nick after. */
  nick: string | undefined;
  userGiven = false;
  pass: string | undefined;
  sasl: SaslState = { mechanism: undefined, buffer: "" };
  /** Set by SASL before registration completes, or by PASS when it does. */
  login: Issued | undefined;
  data: ConnectionData | undefined;
  /** Channels this client is in: room id → "#name". */
  readonly channels = new Map<number, string>();
  /** When a line last arrived, and whether a PING is out. */
  lastHeard: number;
  pinged = false;
  /** The hub's view of this connection (a Socket to presence, caps and delivery). */
  readonly socket: Socket;
  private readonly ownCids = new Set<string>();
  private readonly awayShown = new Map<number, UserStatus>();
  private readonly readMarks = new Map<number, number>();
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  private out: Uint8Array[] = [];
  private outBytes = 0;
  private batches = 0;

  constructor(
    private readonly ctx: IrcContext,
    readonly id: number,
    readonly address: string,
    private readonly transport: Transport,
  ) {
    this.lastHeard = ctx.now();
    const self = this;
    const adapter = {
      get data(): ConnectionData {
        return self.data as ConnectionData;
      },
      send(frame: string): number {
        self.deliver(frame);
        return 1;
      },
      subscribe(topic: string): boolean {
        ctx.hub.local.subscribe(topic, adapter);
        return true;
      },
      unsubscribe(topic: string): boolean {
        ctx.hub.local.unsubscribe(topic, adapter);
        self.detached(topic);
        return true;
      },
      close(_code?: number, reason?: string): void {
        self.quit(reason ?? "Closed");
      },
      getBufferedAmount(): number {
        return self.outBytes;
      },
    } satisfies Pick<Socket, HubUses>;
    this.socket = adapter as unknown as Socket;
  }

  get serverName(): string {
    return this.ctx.serverName;
  }

  get user(): UserRef {
    return (this.data as ConnectionData).user;
  }

  /** The nick numerics are addressed to: "*" until there is one. */
  target(): string {
    return this.nick ?? "*";
  }

  source(): string {
    return sourceOf(this.user.name, this.ctx.serverName);
  }

  newBatchId(): string {
    this.batches++;
    return `b${this.batches}`;
  }

  /** A numeric from the server to this client. */
  numeric(code: string, ...params: string[]): OutMessage {
    return { source: this.ctx.serverName, command: code, params: [this.target(), ...params] };
  }

  write(m: OutMessage): void {
    let tags: Map<string, string> | undefined;
    if (m.tags) {
      tags = new Map();
      for (const [k, v] of m.tags) {
        const cap = capabilityOfTag(k);
        if (cap === undefined || this.caps.has(cap)) tags.set(k, v);
      }
    }
    this.writeLine(serialize({ ...m, tags }));
  }

  writeLine(line: string): void {
    if (this.phase === "closed") return;
    const bytes = encoder.encode(`${line}\r\n`);
    if (this.out.length > 0) {
      this.queue(bytes);
      return;
    }
    const n = this.transport.write(bytes);
    if (n < bytes.length) this.queue(bytes.subarray(Math.max(0, n)));
  }

  private queue(bytes: Uint8Array): void {
    this.out.push(bytes);
    this.outBytes += bytes.length;
    if (this.outBytes > this.ctx.limits.sendBufferBytes) {
      this.ctx.log.warn("irc.slow_consumer", { conn: this.id, bytes: this.outBytes });
      this.out = [];
      this.outBytes = 0;
      this.phase = "closed";
      this.transport.end();
    }
  }

  /** The transport can take more: send what waited. */
  drain(): void {
    while (this.out.length > 0) {
      const head = this.out[0] as Uint8Array;
      const n = this.transport.write(head);
      if (n >= head.length) {
        this.out.shift();
        this.outBytes -= head.length;
        continue;
      }
      if (n > 0) {
        this.out[0] = head.subarray(n);
        this.outBytes -= n;
      }
      return;
    }
  }

  /** Says why, then closes; the transport's close runs closed(). */
  quit(reason: string): void {
    if (this.phase === "closed") return;
    this.writeLine(serialize({ command: "ERROR", params: [reason] }));
    this.phase = "closed";
    this.transport.end();
  }

  /**
   * The transport closed: leave the hub, keep the read markers, end the gateway's session.
   * Resolves once those writes are done (the gateway waits for them when the node stops).
   */
  closed(): Promise<void> {
    this.phase = "closed";
    if (this.readTimer) clearTimeout(this.readTimer);
    const data = this.data;
    if (!data) {
      // Logged in by SASL but gone before registration ended: the session goes too.
      if (!this.login) return Promise.resolve();
      return this.endSession(this.login.user, hashToken(this.login.token), 0);
    }
    const rooms = [...data.delivery.rooms];
    this.ctx.hub.closed(this.socket);
    for (const room of rooms) this.ctx.hub.local.unsubscribe(topicOf(room), this.socket);
    return Promise.all([
      this.flushReads(),
      this.endSession(data.user, data.session.tokenHash, data.session.expiresAt),
    ]).then(() => {});
  }

  endSession(user: UserRef, tokenHash: string, expiresAt: number): Promise<void> {
    return this.ctx.auth
      .logout({ user, tokenHash, expiresAt })
      .catch((err) => this.ctx.log.warn("irc.logout_failed", errorFields(err)));
  }

  /**
   * The hub stopped delivering a room to this connection: the user left it on another client
   * (a PART from here removes the channel first). The channel goes, and the client is told.
   */
  private detached(topic: string): void {
    const room = Number(topic.slice(topic.indexOf(":") + 1));
    const channel = this.channels.get(room);
    if (channel === undefined || this.phase !== "registered") return;
    this.channels.delete(room);
    this.write({
      source: this.source(),
      command: "PART",
      params: [channel, "Left on another client"],
    });
  }

  /** A send from this connection: its live copy is the echo already given, or none. */
  rememberOwn(cid: string): void {
    if (this.ownCids.size >= OWN_CIDS_MAX) this.ownCids.clear();
    this.ownCids.add(cid);
  }

  /** A message as this client's PRIVMSG lines, with its time, msgid and account tags. */
  messageLines(m: Message, channel: string): OutMessage[] {
    const source = sourceOf(m.from.name, this.ctx.serverName);
    const tags = new Map([
      ["time", isoTime(m.ts)],
      ["msgid", msgidOf(m.room, m.seq)],
      ["account", m.from.name],
    ]);
    // Deleted messages are left out (CHATHISTORY shows the current state; REDACT told the rest).
    if (m.deleted) return [];
    if (m.reply) tags.set("+draft/reply", msgidOf(m.room, m.reply.seq));
    let body = m.body;
    if (m.file) body = `${body === "" ? "" : `${body} `}[file: ${m.file.name}]`;
    const texts = privmsgTexts(body, `:${source} PRIVMSG ${channel} :`);
    return texts.map((text) => ({ tags, source, command: "PRIVMSG", params: [channel, text] }));
  }

  /** Remembers that the user has seen the room up to seq; written to the store shortly. */
  seen(room: number, seq: number): void {
    if ((this.readMarks.get(room) ?? 0) >= seq) return;
    this.readMarks.set(room, seq);
    this.readTimer ??= setTimeout(() => this.flushReads(), READ_FLUSH_MS);
  }

  private flushReads(): Promise<void> {
    this.readTimer = undefined;
    const data = this.data;
    if (!data) return Promise.resolve();
    const writes = [...this.readMarks].map(([room, seq]) =>
      this.ctx.chat
        .markRead(data.user, room, seq)
        .catch((err) => this.ctx.log.warn("irc.mark_read_failed", errorFields(err))),
    );
    this.readMarks.clear();
    return Promise.all(writes).then(() => {});
  }

  /** A frame the hub delivered: rendered for the channels this client is in, else dropped. */
  private deliver(json: string): void {
    if (this.phase !== "registered") return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(json) as ServerFrame;
    } catch {
      return;
    }
    if (!("room" in frame) || typeof frame.room !== "number") return;
    const channel = this.channels.get(frame.room);
    if (channel === undefined) return;
    const me = this.user.id;
    switch (frame.type) {
      case "msg": {
        // Sealed messages belong to DMs, which have no channel; never shown even so.
        if (frame.envelope !== undefined) return;
        this.seen(frame.room, frame.seq);
        if (frame.from.id === me && this.ownCids.delete(frame.cid)) return;
        for (const line of this.messageLines(frame, channel)) this.write(line);
        return;
      }
      case "gap":
        this.write({
          source: this.ctx.serverName,
          command: "NOTICE",
          params: [
            channel,
            `${frame.to - frame.from + 1} earlier messages are not replayed here: CHATHISTORY or the Parley clients have them`,
          ],
        });
        return;
      case "notice": {
        if (frame.user.id === me) return;
        const source = sourceOf(frame.user.name, this.ctx.serverName);
        const command = frame.event === "joined" ? "JOIN" : "PART";
        this.write({ source, command, params: [channel] });
        return;
      }
      case "typing":
        if (frame.user.id === me || !this.caps.has("message-tags")) return;
        this.write({
          tags: new Map([["+typing", "active"]]),
          source: sourceOf(frame.user.name, this.ctx.serverName),
          command: "TAGMSG",
          params: [channel],
        });
        return;
      case "presence":
        this.presence(frame.user, frame.status);
        return;
      case "event": {
        if (frame.envelope !== undefined) return;
        this.seen(frame.room, frame.seq);
        if (frame.kind === "rename" && frame.body) {
          this.channels.set(frame.room, channelOf(frame.body));
          const lines = renameLines(this.ctx, this, frame, channel, channelOf(frame.body));
          for (const line of lines) this.write(line);
          return;
        }
        // Own changes from here: the live copy is the echo, for clients that asked for one.
        if (
          frame.from.id === me &&
          this.ownCids.delete(frame.cid) &&
          !this.caps.has("echo-message")
        )
          return;
        for (const line of eventLines(this.ctx, this, frame, channel)) this.write(line);
        return;
      }
      case "removed":
        // Sent just before the hub detaches this connection: KICK, not the detach's PART.
        this.channels.delete(frame.room);
        this.write({
          source: this.ctx.serverName,
          command: "KICK",
          params: [channel, this.nick ?? this.user.name, REMOVED_TEXT[frame.reason]],
        });
        return;
      default:
        return;
    }
  }

  /** away-notify: "away" and "offline" are AWAY with a reason, "online" is AWAY without one. */
  private presence(user: UserRef, status: UserStatus): void {
    if (user.id === this.user.id || !this.caps.has("away-notify")) return;
    if (this.awayShown.get(user.id) === status) return;
    if (this.awayShown.size >= 10_000) this.awayShown.clear();
    this.awayShown.set(user.id, status);
    const source = sourceOf(user.name, this.ctx.serverName);
    const params = status === "online" ? [] : [status === "away" ? "Away" : "Offline"];
    this.write({ source, command: "AWAY", params });
  }

  nickOf(name: string): string {
    return nickOf(name);
  }
}
