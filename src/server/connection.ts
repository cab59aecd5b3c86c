/**
 * The WebSocket side: one command table, and the guards that run before any handler (rate,
 * frame validation, repeated abuse, a bot's scope, and the command's declared requirement in
 * the room it names: requirements.ts, checked by access.ts). Every socket here is already
 * authenticated at the upgrade.
 */
import type { WebSocketHandler } from "bun";
import type { Store } from "../../db/store.ts";
import { errorFields, type Logger, logContext } from "../log/log.ts";
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
import type { Access } from "./access.ts";
import { AckBatcher } from "./ack-batcher.ts";
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
import type { Presence } from "./presence.ts";
import { attach, type Replay } from "./replay.ts";
import { REQUIREMENTS } from "./requirements.ts";
import { resume } from "./resume.ts";
import type { SendPipeline } from "./send-pipeline.ts";
import type { TypingThrottle } from "./typing.ts";

export interface ConnectionOptions {
  config: Config;
  store: Store;
  chat: Chat;
  sends: SendPipeline;
  access: Access;
  hub: Hub;
  presence: Presence<Socket>;
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
  const d = ws.data.delivery;
  if (d.state === "closed" || ws.getBufferedAmount() < bound / 2) return Promise.resolve();
  return new Promise((resolve) => d.drainWaiters.push(resolve));
}

export function createWebSocketHandler(o: ConnectionOptions): WebSocketHandler<ConnectionData> {
  const { config, chat, hub, log, typing, presence } = o;
  const replay: Replay = {
    store: o.store,
    hub,
    log,
    limits: { maxMessages: config.replayMax, maxBytes: Math.floor(config.sendBufferBytes / 4) },
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
      await attach(replay, ws, room.id, { recent: 0 });
      send(ws, { type: "created", ref: f.id, room });
    },
    async join(ws, f) {
      const ref = f.room !== undefined ? { room: f.room } : { name: f.name as string };
      const room = await chat.join(ws.data.session.user, ref);
      const from = f.after !== undefined ? { after: f.after } : { recent: HISTORY_PAGE_DEFAULT };
      await attach(replay, ws, room.id, from);
      send(ws, { type: "joined", ref: f.id, room });
    },
    async leave(ws, f) {
      await chat.leave(ws.data.session.user, f.room);
      send(ws, { type: "left", ref: f.id, room: f.room });
    },
    send(ws, f) {
      const user = ws.data.user;
      typing.sent(user.id, f.room);
      const answer = (outcome: SendOutcome) => {
        if (!outcome.ok) return sendError(ws, outcome.error, f.id, o.metrics);
        const m = outcome.message;
        acks.add(ws, ackFrame(f.id, m.room, m.cid, m.seq, m.ts, outcome.duplicate));
      };
      // In this connection's send order, with the requirement checked there (send-pipeline.ts).
      o.sends.send(user, f, answer, ws.data.sends);
    },
    event(ws, f) {
      chat.events.submit(ws.data.user, f, (outcome) => {
        if (!outcome.ok) return sendError(ws, outcome.error, f.id, o.metrics);
        const e = outcome.event;
        acks.add(ws, ackFrame(f.id, e.room, e.cid, e.seq, e.ts, outcome.duplicate));
      });
    },
    async resume(ws, f) {
      o.metrics?.resumes.inc();
      const bound = config.sendBufferBytes;
      const answer = await resume(replay, ws, f.rooms, () => drained(ws, bound));
      if (ws.data.delivery.state === "closed") return;
      send(ws, { type: "resumed", ref: f.id, ...answer });
    },
    async history(ws, f) {
      const page = await chat.historyOf(f.room, f);
      send(ws, { type: "history", ref: f.id, room: f.room, ...page });
    },
    async members(ws, f) {
      const members = await chat.membersOf(ws.data.session.user, f.room);
      send(ws, { type: "members", ref: f.id, room: f.room, members });
    },
    typing(ws, f) {
      const user = ws.data.user;
      if (!typing.allow(user.id, f.room, o.now())) return;
      chat.publishEphemeral(f.room, { type: "typing", room: f.room, user });
    },
    async read(ws, f) {
      await chat.markRead(ws.data.user, f.room, f.seq);
    },
    status(ws, f) {
      presence.setAway(ws, f.status === "away");
      send(ws, { type: "ok", ref: f.id });
    },
    async dm(ws, f) {
      const user = ws.data.user;
      const { room, peer, created } = await chat.openDm(user, f.user);
      const from = f.after !== undefined ? { after: f.after } : { recent: HISTORY_PAGE_DEFAULT };
      await attach(replay, ws, room.id, from);
      send(ws, { type: "dm", ref: f.id, room });
      if (!created) return;
      // A new conversation reaches both people's other sockets at once, from its first message.
      const views = [
        { sockets: presence.sockets(user.id), view: room },
        {
          sockets: presence.sockets(peer.id),
          view: await chat.dmSummaryFor(room, user, peer.id),
        },
      ];
      for (const { sockets, view } of views) {
        for (const other of sockets) {
          if (other === ws) continue;
          await attach(replay, other, room.id, { after: 0 });
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
    if (ws.data.guard.strikes.take(o.now())) return;
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
      // Every line logged while handling a client's frame carries its connection id.
      logContext.run({ conn: ws.data.id }, () => receive(ws, data));
    },

    drain(ws) {
      for (const wake of ws.data.delivery.drainWaiters.splice(0)) wake();
    },

    close(ws, code) {
      hub.closed(ws);
      log.info("ws.close", { conn: ws.data.id, user: ws.data.session.user.id, code });
    },
  };

  /** The guards, in order: frame shape, rate, a bot's scope, the declared requirement. */
  function receive(ws: Socket, data: string | Buffer) {
    const decoded = decodeClientFrame(data, config.maxFrameBytes);
    if (!decoded.ok) {
      sendError(ws, decoded.error, decoded.ref, o.metrics);
      return strike(ws, "invalid_frame");
    }
    const now = o.now();
    const cost = FRAME_COST[decoded.frame.type] ?? 1;
    if (!ws.data.guard.frames.take(now, cost)) {
      const retryAfter = Math.max(1, ws.data.guard.frames.retryAfter(now, cost));
      o.metrics?.rateLimited.inc({ reason: "frames" });
      const limited = new ParleyError("RATE_LIMITED", undefined, { retryAfter });
      sendError(ws, limited, decoded.frame.id, o.metrics);
      return;
    }
    const frame = decoded.frame;
    const denied = frameDenial(ws.data.session, frame);
    if (denied) return fail(ws, denied, frame.id);
    const handler = commands[frame.type] as Handler<typeof frame.type>;
    const need = REQUIREMENTS[frame.type];
    const room = "room" in frame && typeof frame.room === "number" ? frame.room : undefined;
    let pending: Promise<void> | void;
    try {
      const gate = need.inOrder ? undefined : o.access.check(ws.data.user, room, need);
      pending = gate ? gate.then(() => handler(ws, frame as never)) : handler(ws, frame as never);
    } catch (err) {
      return fail(ws, err, frame.id);
    }
    if (pending) pending.catch((err) => fail(ws, err, frame.id));
  }

  function fail(ws: Socket, err: unknown, ref: string | undefined): void {
    if (!(err instanceof ParleyError))
      log.error("ws.handler_failed", { conn: ws.data.id, ...errorFields(err) });
    if (ws.data.delivery.state === "open") sendError(ws, err, ref, o.metrics);
  }
}

function ackFrame(
  ref: string,
  room: number,
  cid: string,
  seq: number,
  ts: number,
  duplicate: boolean,
): string {
  return encodeFrame({ type: "ack", ref, room, cid, seq, ts, duplicate });
}
