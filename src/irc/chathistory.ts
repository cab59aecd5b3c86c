/**
 * CHATHISTORY (IRCv3 draft/chathistory) over a room's stored history, so a client that
 * reconnects fetches exactly what it missed. A msgid names a seq; a timestamp is turned into a
 * seq by a binary search over the room's seqs (seqs are dense and their times rise with them),
 * a few store reads, never a scan. Bounds are exclusive, as the spec says.
 */
import { HISTORY_PAGE_MAX, type Message, ParleyError } from "../protocol/index.ts";
import { channelRoom } from "./channel-room.ts";
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import type { Handler } from "./handler.ts";
import { channelOf, roomNameOf } from "./names.ts";
import { isoTime, seqOfMsgid } from "./render.ts";
import type { OutMessage, Reply } from "./reply.ts";

type Ref = { kind: "msgid"; seq: number } | { kind: "timestamp"; ms: number } | { kind: "none" };

function fail(ctx: IrcContext, code: string, context: string[], text: string): OutMessage {
  return {
    source: ctx.serverName,
    command: "FAIL",
    params: ["CHATHISTORY", code, ...context, text],
  };
}

function parseRef(raw: string, room: number): Ref | undefined {
  if (raw === "*") return { kind: "none" };
  if (raw.startsWith("msgid=")) {
    const seq = seqOfMsgid(raw.slice(6), room);
    return seq === undefined ? undefined : { kind: "msgid", seq };
  }
  if (raw.startsWith("timestamp=")) {
    const ms = Date.parse(raw.slice(10));
    return Number.isFinite(ms) ? { kind: "timestamp", ms } : undefined;
  }
  return undefined;
}

interface Target {
  room: number;
  channel: string;
}

export class HistoryReader {
  constructor(
    private readonly ctx: IrcContext,
    private readonly conn: IrcConnection,
    private readonly target: Target,
  ) {}

  private page(q: { before?: number; after?: number; limit: number }): Promise<Message[]> {
    return this.ctx.chat.history(this.conn.user, this.target.room, q).then((p) => p.messages);
  }

  /** The first seq whose message was sent at or after ms (head + 1 when none was). */
  async firstAtOrAfter(ms: number): Promise<number> {
    let lo = 1;
    const newest = await this.page({ limit: 1 });
    let hi = (newest[0]?.seq ?? 0) + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const m = (await this.page({ after: mid - 1, limit: 1 }))[0];
      if (!m || m.ts >= ms) hi = mid;
      else lo = m.seq + 1;
    }
    return lo;
  }

  /** Exclusive lower bound: messages strictly after the ref have seq > this. */
  async afterSeq(ref: Ref): Promise<number> {
    if (ref.kind === "msgid") return ref.seq;
    if (ref.kind === "timestamp") return (await this.firstAtOrAfter(ref.ms + 1)) - 1;
    return 0;
  }

  /** Exclusive upper bound: messages strictly before the ref have seq < this. */
  async beforeSeq(ref: Ref): Promise<number> {
    if (ref.kind === "msgid") return ref.seq;
    if (ref.kind === "timestamp") return this.firstAtOrAfter(ref.ms);
    return Number.MAX_SAFE_INTEGER;
  }

  latest(after: number, limit: number): Promise<Message[]> {
    return this.page({ limit }).then((ms) => ms.filter((m) => m.seq > after));
  }

  before(before: number, limit: number): Promise<Message[]> {
    return this.page({ before, limit });
  }

  after(after: number, limit: number): Promise<Message[]> {
    return this.page({ after, limit });
  }
}

async function resolveTarget(ctx: IrcContext, conn: IrcConnection, raw: string) {
  const name = roomNameOf(raw);
  if (name === undefined) return undefined;
  try {
    const room = await channelRoom(ctx, conn.user, name);
    await ctx.chat.requireMember(conn.user, room.id);
    return { room: room.id, channel: channelOf(room.name) };
  } catch (err) {
    if (err instanceof ParleyError && (err.code === "ROOM_NOT_FOUND" || err.code === "NOT_MEMBER"))
      return undefined;
    throw err;
  }
}

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1 ? Math.min(n, HISTORY_PAGE_MAX) : undefined;
}

async function targets(
  ctx: IrcContext,
  conn: IrcConnection,
  msg: { params: string[] },
  reply: Reply,
) {
  const from = Date.parse((msg.params[1] ?? "").replace(/^timestamp=/, ""));
  const to = Date.parse((msg.params[2] ?? "").replace(/^timestamp=/, ""));
  const limit = parseLimit(msg.params[3]);
  if (!Number.isFinite(from) || !Number.isFinite(to) || limit === undefined) {
    reply.send(fail(ctx, "INVALID_PARAMS", ["TARGETS"], "Give two timestamps and a limit"));
    return;
  }
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const found: { channel: string; ts: number }[] = [];
  for (const [room, channel] of conn.channels) {
    const newest = (await ctx.chat.history(conn.user, room, { limit: 1 })).messages[0];
    if (newest && newest.ts > lo && newest.ts < hi) found.push({ channel, ts: newest.ts });
  }
  found.sort((a, b) => a.ts - b.ts);
  const lines = found.slice(0, limit).map(
    (f): OutMessage => ({
      source: ctx.serverName,
      command: "CHATHISTORY",
      params: ["TARGETS", f.channel, isoTime(f.ts)],
    }),
  );
  sendBatch(conn, reply, "draft/chathistory-targets", [], lines);
}

function sendBatch(
  conn: IrcConnection,
  reply: Reply,
  type: string,
  params: string[],
  lines: OutMessage[],
) {
  if (conn.caps.has("batch")) reply.batch(type, params, lines);
  else for (const line of lines) reply.send(line);
}

export const chathistory: Handler = async (ctx, conn, msg, reply) => {
  const sub = (msg.params[0] as string).toUpperCase();
  if (sub === "TARGETS") return targets(ctx, conn, msg, reply);
  if (!["LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN"].includes(sub)) {
    reply.send(fail(ctx, "INVALID_PARAMS", [sub], "Unknown CHATHISTORY subcommand"));
    return;
  }
  const rawTarget = msg.params[1] as string;
  const target = await resolveTarget(ctx, conn, rawTarget);
  if (!target) {
    reply.send(fail(ctx, "INVALID_TARGET", [sub, rawTarget], "No such channel, or not a member"));
    return;
  }
  const between = sub === "BETWEEN";
  const ref1 = parseRef(msg.params[2] ?? "", target.room);
  const ref2 = between ? parseRef(msg.params[3] ?? "", target.room) : undefined;
  const limit = parseLimit(msg.params[between ? 4 : 3]);
  if (
    !ref1 ||
    (between && !ref2) ||
    limit === undefined ||
    (ref1.kind === "none" && sub !== "LATEST")
  ) {
    reply.send(fail(ctx, "INVALID_PARAMS", [sub, rawTarget], "Bad message reference or limit"));
    return;
  }
  const h = new HistoryReader(ctx, conn, target);
  let messages: Message[];
  switch (sub) {
    case "LATEST":
      messages = await h.latest(await h.afterSeq(ref1), limit);
      break;
    case "BEFORE":
      messages = await h.before(await h.beforeSeq(ref1), limit);
      break;
    case "AFTER":
      messages = await h.after(await h.afterSeq(ref1), limit);
      break;
    case "AROUND": {
      const centre = await h.beforeSeq(ref1);
      const half = Math.floor(limit / 2);
      const [older, newer] = await Promise.all([
        h.before(centre, Math.max(1, half)),
        h.after(centre - 1, limit - half),
      ]);
      messages = [...older, ...newer];
      break;
    }
    default: {
      const a = await h.afterSeq(ref1);
      const b = await h.beforeSeq(ref2 as Ref);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      messages = (await h.after(lo, limit)).filter((m) => m.seq < hi);
    }
  }
  const lines = messages.flatMap((m) => conn.messageLines(m, target.channel));
  sendBatch(conn, reply, "chathistory", [target.channel], lines);
};
