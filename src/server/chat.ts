/**
 * Chat operations shared by the HTTP routes and the WebSocket commands: rooms, membership,
 * history and sending. Each checks its own rules and throws a coded ParleyError when it refuses.
 */
import type { RoomRecord, Store } from "../../db/store.ts";
import type { Bus } from "../bus/bus.ts";
import {
  encodeFrame,
  HISTORY_PAGE_DEFAULT,
  isValidMessage,
  type Member,
  type Message,
  ParleyError,
  ROOM_NAME_PATTERN,
  type RoomSummary,
  type UserRef,
} from "../protocol/index.ts";
import type { CommitQueue } from "./commit-queue.ts";
import type { Hub } from "./hub.ts";
import type { Logger } from "./log.ts";

export type RoomRef = { room: number } | { name: string };

export interface HistoryQuery {
  before?: number | undefined;
  after?: number | undefined;
  limit?: number | undefined;
}

export interface HistoryPage {
  messages: Message[];
  /** More messages exist past this page, in the direction it was read. */
  more: boolean;
}

export interface SendRequest {
  room: number;
  cid: string;
  body: string;
}

export type SendOutcome =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; error: ParleyError };

export interface ChatOptions {
  store: Store;
  bus: Bus;
  hub: Hub;
  queue: CommitQueue;
  log: Logger;
  now: () => number;
}

export class Chat {
  constructor(private readonly o: ChatOptions) {}

  private summary(room: RoomRecord, joined: boolean): RoomSummary {
    return {
      id: room.id,
      name: room.name,
      topic: room.topic,
      members: room.members,
      online: this.o.hub.online(room.id),
      joined,
      head: room.head,
    };
  }

  async listRooms(user: UserRef): Promise<RoomSummary[]> {
    const [rooms, mine] = await Promise.all([
      this.o.store.listRooms(),
      this.o.store.roomsOf(user.id),
    ]);
    const joined = new Set(mine);
    return rooms.map((r) => this.summary(r, joined.has(r.id)));
  }

  async createRoom(user: UserRef, name: string, topic = ""): Promise<RoomSummary> {
    if (!ROOM_NAME_PATTERN.test(name)) throw new ParleyError("INVALID_ROOM_NAME");
    const room = await this.o.store.createRoom(name, topic.trim(), user.id, this.o.now());
    if (room === "taken") throw new ParleyError("ROOM_NAME_TAKEN");
    this.o.hub.memberJoined(user.id, room.id);
    this.o.log.info("room.created", { room: room.id, name: room.name, user: user.id });
    return this.summary(room, true);
  }

  async findRoom(ref: RoomRef): Promise<RoomRecord> {
    const room =
      "room" in ref
        ? await this.o.store.findRoom(ref.room)
        : await this.o.store.findRoomByName(ref.name);
    if (!room) throw new ParleyError("ROOM_NOT_FOUND");
    return room;
  }

  async join(user: UserRef, ref: RoomRef): Promise<RoomSummary> {
    const room = await this.findRoom(ref);
    if (await this.o.store.addMember(room.id, user.id, this.o.now())) {
      room.members++;
      this.o.log.info("room.joined", { room: room.id, user: user.id });
    }
    this.o.hub.memberJoined(user.id, room.id);
    return this.summary(room, true);
  }

  async leave(user: UserRef, roomId: number): Promise<void> {
    await this.findRoom({ room: roomId });
    if (!(await this.o.store.removeMember(roomId, user.id))) throw new ParleyError("NOT_MEMBER");
    this.o.hub.memberLeft(user.id, roomId);
    this.o.log.info("room.left", { room: roomId, user: user.id });
  }

  /** Throws ROOM_NOT_FOUND or NOT_MEMBER unless the user may read the room. */
  async requireMember(user: UserRef, roomId: number): Promise<void> {
    if (await this.o.store.isMember(roomId, user.id)) return;
    await this.findRoom({ room: roomId });
    throw new ParleyError("NOT_MEMBER");
  }

  async history(user: UserRef, roomId: number, q: HistoryQuery): Promise<HistoryPage> {
    if (q.before !== undefined && q.after !== undefined) {
      throw new ParleyError("INVALID", "Give at most one of before and after.");
    }
    await this.requireMember(user, roomId);
    const limit = q.limit ?? HISTORY_PAGE_DEFAULT;
    const page =
      q.after !== undefined
        ? await this.o.store.messagesAfter(roomId, q.after, limit + 1)
        : await this.o.store.messagesBefore(roomId, q.before ?? Number.MAX_SAFE_INTEGER, limit + 1);
    const more = page.length > limit;
    if (more) {
      if (q.after !== undefined) page.pop();
      else page.shift();
    }
    return { messages: page, more };
  }

  async members(user: UserRef, roomId: number): Promise<Member[]> {
    await this.requireMember(user, roomId);
    const members = await this.o.store.membersOf(roomId);
    return members.map((m) => ({ ...m, online: this.o.hub.isOnline(m.id) }));
  }

  /**
   * Queues a send for the next group commit. `done` runs after the commit; a new message is
   * published to the room right after `done`, so the sender hears its ack first.
   */
  send(user: UserRef, req: SendRequest, done: (outcome: SendOutcome) => void): void {
    if (!isValidMessage(req.body)) throw new ParleyError("INVALID_MESSAGE");
    const accepted = this.o.queue.submit(
      { room: req.room, sender: user, cid: req.cid, body: req.body, ts: this.o.now() },
      (result) => {
        if (result === "failed") return done({ ok: false, error: new ParleyError("UNAVAILABLE") });
        if (!result.ok) return done({ ok: false, error: new ParleyError(result.code) });
        done(result);
        if (result.duplicate) return;
        const m = result.message;
        this.o.bus.publish({ room: m.room, seq: m.seq, frame: encodeFrame({ type: "msg", ...m }) });
        this.o.log.debug("message.stored", { room: m.room, seq: m.seq, bytes: m.body.length });
      },
    );
    if (!accepted) throw new ParleyError("BUSY");
  }
}
