/**
 * The WebSocket side: one command table, and the guards that run before any handler (rate,
 * frame validation, repeated abuse). Every socket here is already authenticated at the upgrade.
 */
import type { WebSocketHandler } from "bun";
import type { Store } from "../../db/store.ts";
import { errorFields, type Logger } from "../log/log.ts";
import {
  CLOSE,
  type ClientFrameOf,
  type ClientFrameType,
  decodeClientFrame,
  encodeFrame,
  HISTORY_PAGE_DEFAULT,
  HISTORY_PAGE_MAX,
  type Limits,
  MESSAGE_MAX_CHARS,
  ParleyError,
  type ServerFrame,
  toErrorBody,
} from "../protocol/index.ts";
import { frameDenial, inScope } from "./bot-scope.ts";
import type { Chat, SendOutcome } from "./chat.ts";
import { COMMUNITY_FRAME_COST, communityCommands } from "./community-commands.ts";
import type { Config } from "./config.ts";
import type { Contacts } from "./contacts.ts";
import type { Devices } from "./devices.ts";
import { E2EE_FRAME_COST, type E2eeDeps, e2eeCommands } from "./e2ee-commands.ts";
import type { ConnectionData, Hub, Socket } from "./hub.ts";
import type { Invitations } from "./invitations.ts";
import type { Metrics } from "./metrics.ts";
import type { Moderation } from "./moderation.ts";
import { attach, type ReplayLimits } from "./replay.ts";
import { resume } from "./resume.ts";
import { heldBack, noteRefused } from "./send-order.ts";
import type { TypingThrottle } from "./typing.ts";

export interface ConnectionOptions {
  config: Config;
  store: Store;
  chat: Chat;
  hub: Hub;
  contacts: Contacts;
  devices: Devices;
  typing: TypingThrottle;
  log: Logger;
  now: () => number;
  version: string;
  metrics?: Metrics | undefined;
  moderation: Moderation;
  invitations: Invitations;
  groups: E2eeDeps["groups"];
}

type Handler<T extends ClientFrameType> = (
  ws: Socket,
  frame: ClientFrameOf<T>,
) => Promise<void> | void;

const noop = () => {};

/**
 * What a frame costs of the connection's rate bucket, by the work it makes: a frame not listed
 * costs 1. Listing, creating, resuming and history read or write much more than a send.
 */
export const FRAME_COST: Partial<Record<ClientFrameType, number>> = {
  rooms: 5,
  create: 10,
  resume: 5,
  history: 3,
  members: 3,
  dm: 3,
  contacts: 2,
  contact_add: 2,
  contact_remove: 2,
  block: 2,
  unblock: 2,
  ...COMMUNITY_FRAME_COST,
  ...E2EE_FRAME_COST,
};

function send(ws: Socket, frame: ServerFrame): void {
  ws.send(encodeFrame(frame));
}

function sendError(ws: Socket, err: unknown, ref?: string, metrics?: Metrics): void {
  const body = toErrorBody(err);
  metrics?.errors.inc({ code: body.code });
  send(ws, ref === undefined ? { type: "error", ...body } : { type: "error", ref, ...body });
}

/** Resolves once the socket's send buffer is below half the cut-off, or it closed. */
function drained(ws: Socket, bound: number): Promise<void> {
  if (ws.data.state === "closed" || ws.getBufferedAmount() < bound / 2) return Promise.resolve();
  return new Promise((resolve) => ws.data.drainWaiters.push(resolve));
}

export function createWebSocketHandler(o: ConnectionOptions): WebSocketHandler<ConnectionData> {
  const { config, chat, hub, log, typing } = o;
  const replay: ReplayLimits = {
    maxMessages: config.replayMax,
    maxBytes: Math.floor(config.sendBufferBytes / 4),
  };
  const limits: Limits = {
    maxFrameBytes: config.maxFrameBytes,
    maxMessageChars: MESSAGE_MAX_CHARS,
    historyPageMax: HISTORY_PAGE_MAX,
    replayMax: config.replayMax,
    ratePerSecond: config.rate,
    rateBurst: config.burst,
    heartbeatSeconds: config.heartbeat,
    maxUploadBytes: config.maxUploadBytes,
  };

  const acks = new AckBatcher();

  const commands: { [T in ClientFrameType]: Handler<T> } = {
    ping(ws, f) {
      send(ws, { type: "pong", ref: f.id });
    },
    async rooms(ws, f) {
      const listed = await chat.listRooms(ws.data.session.user, f);
      const rooms = listed.rooms.filter((r) => inScope(ws.data.session, r.id));
      send(ws, { type: "rooms", ref: f.id, ...listed, rooms });
    },
    ...communityCommands({ ...o, replay }),
    ...e2eeCommands({ ...o, replay }),
    async create(ws, f) {
      const room = await chat.createRoom(ws.data.session.user, f.name, f.topic, f.visibility);
      await attach(o.store, hub, log, ws, room.id, { recent: 0 }, replay);
      send(ws, { type: "created", ref: f.id, room });
    },
    async join(ws, f) {
      const ref = f.room !== undefined ? { room: f.room } : { name: f.name as string };
      const room = await chat.join(ws.data.session.user, ref);
      const from = f.after !== undefined ? { after: f.after } : { recent: HISTORY_PAGE_DEFAULT };
      await attach(o.store, hub, log, ws, room.id, from, replay);
      send(ws, { type: "joined", ref: f.id, room });
    },
    async leave(ws, f) {
      await chat.leave(ws.data.session.user, f.room);
      send(ws, { type: "left", ref: f.id, room: f.room });
    },
    send(ws, f) {
      const user = ws.data.user;
      typing.sent(user.id, f.room);
      ws.data.holds ??= new Map();
      const holds = ws.data.holds;
      const held = heldBack(holds, f.room, f.cid, o.now());
      if (held) return sendError(ws, held, f.id);
      const reply = (outcome: SendOutcome) => {
        if (!outcome.ok) {
          if (outcome.error.code === "UNAVAILABLE") noteRefused(holds, f.room, f.cid, o.now());
          return sendError(ws, outcome.error, f.id, o.metrics);
        }
        const m = outcome.message;
        acks.add(
          ws,
          encodeFrame({
            type: "ack",
            ref: f.id,
            room: m.room,
            cid: m.cid,
            seq: m.seq,
            ts: m.ts,
            duplicate: outcome.duplicate,
          }),
        );
      };
      // A connection's sends are stored in the order it sent them: one that must wait for a
      // lookup holds back the ones behind it.
      const previous = ws.data.sendTail;
      const result = previous
        ? previous.then(() => chat.send(user, f, reply))
        : chat.send(user, f, reply);
      if (result) {
        result.catch((err) => {
          if (err instanceof ParleyError && err.code === "UNAVAILABLE") {
            noteRefused(holds, f.room, f.cid, o.now());
          }
        });
        const tail: Promise<void> = result.then(noop, noop);
        ws.data.sendTail = tail;
        tail.then(() => {
          if (ws.data.sendTail === tail) ws.data.sendTail = undefined;
        });
      }
      return result;
    },
    async event(ws, f) {
      await chat.events.submit(ws.data.user, f, (outcome) => {
        if (!outcome.ok) return sendError(ws, outcome.error, f.id, o.metrics);
        const e = outcome.event;
        acks.add(
          ws,
          encodeFrame({
            type: "ack",
            ref: f.id,
            room: e.room,
            cid: e.cid,
            seq: e.seq,
            ts: e.ts,
            duplicate: outcome.duplicate,
          }),
        );
      });
    },
    async resume(ws, f) {
      o.metrics?.resumes.inc();
      const bound = config.sendBufferBytes;
      const answer = await resume(o.store, hub, log, ws, f.rooms, replay, () => drained(ws, bound));
      if (ws.data.state === "closed") return;
      send(ws, { type: "resumed", ref: f.id, ...answer });
    },
    async history(ws, f) {
      const page = await chat.history(ws.data.session.user, f.room, f);
      send(ws, { type: "history", ref: f.id, room: f.room, ...page });
    },
    async members(ws, f) {
      const members = await chat.members(ws.data.session.user, f.room);
      send(ws, { type: "members", ref: f.id, room: f.room, members });
    },
    async typing(ws, f) {
      const user = ws.data.user;
      if (!typing.allow(user.id, f.room, o.now())) return;
      await chat.requireMember(user, f.room);
      chat.publishEphemeral(f.room, { type: "typing", room: f.room, user });
    },
    async read(ws, f) {
      await chat.markRead(ws.data.user, f.room, f.seq);
    },
    status(ws, f) {
      hub.presence.setAway(ws, f.status === "away");
      send(ws, { type: "ok", ref: f.id });
    },
    async dm(ws, f) {
      const user = ws.data.user;
      const { room, peer, created } = await chat.openDm(user, f.user);
      const from = f.after !== undefined ? { after: f.after } : { recent: HISTORY_PAGE_DEFAULT };
      await attach(o.store, hub, log, ws, room.id, from, replay);
      send(ws, { type: "dm", ref: f.id, room });
      if (!created) return;
      // A new conversation reaches both people's other sockets at once, from its first message.
      const views = [
        { sockets: hub.presence.sockets(user.id), view: room },
        {
          sockets: hub.presence.sockets(peer.id),
          view: await chat.dmSummaryFor(room, user, peer.id),
        },
      ];
      for (const { sockets, view } of views) {
        for (const other of sockets) {
          if (other === ws) continue;
          await attach(o.store, hub, log, other, room.id, { after: 0 }, replay);
          send(other, { type: "dm_opened", room: view });
        }
      }
    },
    async contacts(ws, f) {
      send(ws, { type: "contacts", ref: f.id, ...(await o.contacts.view(ws.data.user)) });
    },
    async contact_add(ws, f) {
      send(ws, { type: "contacts", ref: f.id, ...(await o.contacts.add(ws.data.user, f.user)) });
    },
    async contact_remove(ws, f) {
      send(ws, { type: "contacts", ref: f.id, ...(await o.contacts.remove(ws.data.user, f.user)) });
    },
    async block(ws, f) {
      send(ws, { type: "contacts", ref: f.id, ...(await o.contacts.block(ws.data.user, f.user)) });
    },
    async unblock(ws, f) {
      send(ws, {
        type: "contacts",
        ref: f.id,
        ...(await o.contacts.unblock(ws.data.user, f.user)),
      });
    },
    async dm_policy(ws, f) {
      const view = await o.contacts.setPolicy(ws.data.user, f.policy);
      send(ws, { type: "contacts", ref: f.id, ...view });
    },
  };

  /**
   * Invalid frames spend a strike; a socket out of strikes is closed with 1008. Frames that are
   * merely over the rate spend none: they are refused with RATE_LIMITED and a retryAfter, and
   * the client slows down (a server stall must never turn a queued burst into a close).
   */
  function strike(ws: Socket, reason: "invalid_frame"): void {
    o.metrics?.strikes.inc({ reason });
    if (ws.data.strikes.take(o.now())) return;
    o.metrics?.strikes.inc({ reason: "closed" });
    log.warn("ws.abusive", { conn: ws.data.id, user: ws.data.session.user.id });
    ws.close(CLOSE.POLICY_VIOLATION, "too many invalid frames");
  }

  return {
    maxPayloadLength: 1024 * 1024,
    backpressureLimit: config.sendBufferBytes,
    closeOnBackpressureLimit: true,
    idleTimeout: config.heartbeat,
    sendPings: true,
    perMessageDeflate: false,

    open(ws) {
      hub.opened(ws);
      log.info("ws.open", { conn: ws.data.id, user: ws.data.session.user.id });
      send(ws, {
        type: "hello",
        user: ws.data.session.user,
        server: { name: "parley", version: o.version },
        limits,
      });
    },

    message(ws, data) {
      const decoded = decodeClientFrame(data, config.maxFrameBytes);
      if (!decoded.ok) {
        sendError(ws, decoded.error, decoded.ref, o.metrics);
        return strike(ws, "invalid_frame");
      }
      const now = o.now();
      const cost = FRAME_COST[decoded.frame.type] ?? 1;
      if (!ws.data.frames.take(now, cost)) {
        const retryAfter = Math.max(1, ws.data.frames.retryAfter(now, cost));
        o.metrics?.rateLimited.inc({ reason: "frames" });
        const limited = new ParleyError("RATE_LIMITED", undefined, { retryAfter });
        sendError(ws, limited, decoded.frame.id, o.metrics);
        return;
      }
      const frame = decoded.frame;
      const denied = frameDenial(ws.data.session, frame);
      if (denied) return fail(ws, denied, frame.id);
      const handler = commands[frame.type] as Handler<typeof frame.type>;
      let pending: Promise<void> | void;
      try {
        pending = handler(ws, frame as never);
      } catch (err) {
        return fail(ws, err, frame.id);
      }
      if (pending) pending.catch((err) => fail(ws, err, frame.id));
    },

    drain(ws) {
      for (const wake of ws.data.drainWaiters.splice(0)) wake();
    },

    close(ws, code) {
      hub.closed(ws);
      log.info("ws.close", { conn: ws.data.id, user: ws.data.session.user.id, code });
    },
  };

  function fail(ws: Socket, err: unknown, ref: string | undefined): void {
    if (!(err instanceof ParleyError))
      log.error("ws.handler_failed", { conn: ws.data.id, ...errorFields(err) });
    if (ws.data.state === "open") sendError(ws, err, ref, o.metrics);
  }
}

/**
 * Acks are answered from the commit callback, outside any uWS handler, where each send would be
 * its own system call. Gathering a batch's acks per socket and sending them corked makes it one.
 */
class AckBatcher {
  private pending = new Map<Socket, string[]>();

  add(ws: Socket, frame: string): void {
    const queued = this.pending.get(ws);
    if (queued) {
      queued.push(frame);
      return;
    }
    if (this.pending.size === 0) queueMicrotask(() => this.flush());
    this.pending.set(ws, [frame]);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    for (const [ws, frames] of batch) {
      if (ws.data.state === "closed") continue;
      if (frames.length === 1) ws.send(frames[0] as string);
      else
        ws.cork(() => {
          for (const frame of frames) ws.send(frame);
        });
    }
  }
}
