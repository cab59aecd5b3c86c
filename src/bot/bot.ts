/**
 * Writing a Parley bot in TypeScript: a bot token, a handler, and this module does the rest on
 * the connection layer every client uses (src/client-core/connection.ts): it reconnects with
 * backoff, resumes each room exactly from its last seq, and retries unacked replies.
 *
 * Exactly once, across server restarts and its own: messages are handled one at a time, in
 * seq order per room, and a room's handled seq is saved (bot-state.ts) only after the handler
 * is done and its replies are acknowledged. A reply's cid is derived from the message it
 * answers, so answering again after a crash is recognised by the server as the same message
 * and stored once. On start, each room resumes from its saved seq: nothing is missed.
 *
 *     const bot = new Bot({ server: "http://127.0.0.1:3000", token, state: fileState("bot.json") });
 *     bot.command("ping", () => "pong");
 *     await bot.start();
 *
 * The token is a bot API token (docs/protocol.md, section 4.7): the bot sees only its rooms.
 */
import { Connection, type Status } from "../client-core/connection.ts";
import type { Message, RoomSummary } from "../protocol/index.ts";
import type { BotStateStore } from "./bot-state.ts";

export interface BotOptions {
  /** The server's URL, or the URLs of several nodes of one deployment. */
  server: string | readonly string[];
  /** A bot API token (`pb_…`). */
  token: string;
  state: BotStateStore;
  /** Commands start with this. @default "!" */
  prefix?: string;
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  /** Told about connection changes and handler failures. */
  log?: (event: string, detail?: Record<string, unknown>) => void;
}

export interface Context {
  message: Message;
  /** Posts a reply in the message's room; resolves once the server has stored it. */
  reply(text: string): Promise<void>;
}

export type Handler = (ctx: Context) => void | Promise<void>;
/** Answers a command with the text to reply, or nothing. */
export type CommandHandler = (
  args: string,
  message: Message,
) => string | undefined | Promise<string | undefined>;

export class Bot {
  private readonly connection: Connection;
  private readonly handled: Map<number, number>;
  private readonly handlers: Handler[] = [];
  private readonly commands = new Map<string, CommandHandler>();
  private readonly waiting = new Map<string, () => void>();
  private queue: Promise<void> = Promise.resolve();
  private readonly prefix: string;
  private readonly log: NonNullable<BotOptions["log"]>;

  constructor(private readonly o: BotOptions) {
    this.prefix = o.prefix ?? "!";
    this.log = o.log ?? (() => {});
    this.handled = o.state.load();
    this.connection = new Connection({
      server: o.server,
      token: o.token,
      // A bot's API token names no session, so no ticket: it goes in the upgrade's header.
      upgradeAuth: "header",
      ...(o.WebSocket ? { WebSocket: o.WebSocket } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    this.connection.on("message", (m) => this.arrived(m));
    this.connection.on("delivered", (item) => this.settle(item.cid));
    this.connection.on("undeliverable", (item, err) => {
      this.log("reply.undeliverable", { room: item.room, code: err.code });
      this.settle(item.cid);
    });
    this.connection.on("status", (s: Status) => this.log(`connection.${s.kind}`));
  }

  /** Runs for every message from someone else, in seq order per room. */
  on(handler: Handler): this {
    this.handlers.push(handler);
    return this;
  }

  /** `!name args…` gets the returned text as a reply. */
  command(name: string, handler: CommandHandler): this {
    this.commands.set(name.toLowerCase(), handler);
    return this;
  }

  /** Connects, then follows each of its rooms from where it last stopped (or from now). */
  async start(): Promise<RoomSummary[]> {
    this.connection.start();
    await this.connection.ready();
    const rooms = (await this.connection.listRooms()).filter((r) => r.kind === "room");
    for (const room of rooms) {
      const from = this.handled.get(room.id);
      if (from === undefined) this.handled.set(room.id, room.head);
      await this.connection.join(room.name, { from: from ?? room.head });
    }
    this.o.state.save(this.handled);
    return rooms;
  }

  /** Waits for the messages already received to be handled, then disconnects. */
  async stop(): Promise<void> {
    await this.queue;
    this.connection.close();
  }

  private arrived(m: Message): void {
    if (m.from.id === this.connection.user?.id) return;
    this.queue = this.queue.then(() => this.handle(m));
  }

  private async handle(m: Message): Promise<void> {
    if (m.seq <= (this.handled.get(m.room) ?? 0)) return;
    let replies = 0;
    const ctx: Context = { message: m, reply: (text) => this.reply(m, replies++, text) };
    try {
      await this.runCommand(ctx);
      for (const h of this.handlers) await h(ctx);
    } catch (err) {
      this.log("handler.failed", { room: m.room, seq: m.seq, error: String(err) });
    }
    this.handled.set(m.room, m.seq);
    this.o.state.save(this.handled);
  }

  private async runCommand(ctx: Context): Promise<void> {
    const text = ctx.message.body.trim();
    if (!text.startsWith(this.prefix)) return;
    const [word = "", ...rest] = text.slice(this.prefix.length).split(/\s+/);
    const handler = this.commands.get(word.toLowerCase());
    if (!handler) return;
    const answer = await handler(rest.join(" "), ctx.message);
    if (answer !== undefined && answer !== "") await ctx.reply(answer);
  }

  /**
   * The nth reply to a message has a cid made of the room, seq and n: answering the message
   * again after a crash sends the same cids, which the server stores once (even if the text
   * came out different, as a dice roll would: the first one stands).
   */
  private reply(m: Message, n: number, text: string): Promise<void> {
    const cid = `re-${m.room}-${m.seq}-${n}`;
    return new Promise((resolve) => {
      this.waiting.set(cid, resolve);
      this.connection.send(m.room, text, { cid });
    });
  }

  private settle(cid: string): void {
    const done = this.waiting.get(cid);
    this.waiting.delete(cid);
    done?.();
  }
}
