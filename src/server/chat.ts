/**
 * Chat operations shared by the HTTP routes and the WebSocket commands: rooms, DMs, membership,
 * history and sending. Each checks its own rules and throws a coded ParleyError when it refuses.
 */
import {
  type AppendRequest,
  entryFrame,
  type MembershipRecord,
  OUTAGE_RETRY_AFTER_S,
  type RoomRecord,
  type RoomVisibility,
  type Store,
} from "../../db/store.ts";
import { type Bus, EPHEMERAL_SEQ } from "../bus/bus.ts";
import type { Envelope } from "../crypto/index.ts";
import type { Logger } from "../log/log.ts";
import {
  dmConversation,
  encodeFrame,
  isValidMessage,
  type Member,
  type Message,
  type MessageFile,
  ParleyError,
  ROOM_NAME_PATTERN,
  type RoomKind,
  type RoomSummary,
  type ServerFrame,
  type UserRef,
  type UserStatus,
} from "../protocol/index.ts";
import type { CommitQueue } from "./commit-queue.ts";
import type { Contacts } from "./contacts.ts";
import { depart } from "./departure.ts";
import { e2eeUserId } from "./devices.ts";
import { type HistoryPage, type HistoryQuery, historyPage } from "./history.ts";
import { DIRECTORY, type Hub } from "./hub.ts";
import { KeyedSerial } from "./keyed-serial.ts";
import { MessageEvents } from "./message-events.ts";
import type { Metrics } from "./metrics.ts";
import { PresenceAnnouncer } from "./presence-announcer.ts";
import type { PresenceVisibility } from "./presence-visibility.ts";
import { moderates } from "./roles.ts";
import { type RoomListQuery, roomListing } from "./room-list.ts";
import { RoomLog } from "./room-log.ts";
import { MessageSearch } from "./search.ts";

export type RoomRef = { room: number } | { name: string };
export type { HistoryPage, HistoryQuery } from "./history.ts";

export interface SendRequest {
  room: number;
  cid: string;
  body?: string | undefined;
  envelope?: Envelope | undefined;
  /** The id of a file this user uploaded to this (public) room, to share in the message. */
  file?: string | undefined;
  /** The seq of the message of this room it replies to (REPLY_NOT_FOUND otherwise). */
  reply?: number | undefined;
}

export type SendOutcome =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; error: ParleyError };

export interface ChatOptions {
  store: Store;
  bus: Bus;
  hub: Hub;
  queue: CommitQueue;
  contacts: Contacts;
  visibility: PresenceVisibility;
  /** Public rooms one user may create. */
  maxRoomsPerUser: number;
  /** Public rooms one user may be in, and DMs one user may open. */
  maxRoomsJoined: number;
  log: Logger;
  now: () => number;
  metrics?: Metrics | undefined;
}

/** Rooms never change kind, so a room's kind is looked up once. Bounded: DMs are many. */
const KIND_CACHE_MAX = 100_000;

export class Chat {
  private readonly kinds = new Map<number, RoomKind>();
  private readonly announcer: PresenceAnnouncer;
  private readonly perUser = new KeyedSerial<number>();
  /** Edits, deletions and reactions: events of the room's log (message-events.ts). */
  readonly events: MessageEvents;
  /** Full-text search of public rooms (search.ts). */
  readonly search: MessageSearch;
  /** Joins, leaves, kicks, bans, roles and topics: the room's own events (room-log.ts). */
  readonly roomLog: RoomLog;

  constructor(private readonly o: ChatOptions) {
    // A room's moderators (and owners) may delete anyone's message there (roles.ts).
    this.events = new MessageEvents({
      ...o,
      moderates: (room, user) => moderates(o.store, room, user),
    });
    this.search = new MessageSearch(o.store);
    this.roomLog = new RoomLog(o);
    this.announcer = new PresenceAnnouncer({
      store: o.store,
      visibility: o.visibility,
      kindOf: (room) => this.kindOf(room),
      publish: (room, frame, hide) => this.publishEphemeral(room, frame, hide),
    });
  }

  /** Room summaries with online counts and peers' statuses, looked up in one batch each. */
  private async summaries(
    viewer: number,
    entries: readonly {
      room: RoomRecord;
      membership: MembershipRecord | undefined;
      peer?: UserRef;
    }[],
  ): Promise<RoomSummary[]> {
    const presence = this.o.hub.presence;
    const peers = entries.flatMap((e) => (e.peer ? [e.peer.id] : []));
    const [online, statuses] = await Promise.all([
      presence.onlineCounts(entries.map((e) => e.room.id)),
      peers.length > 0 ? this.visibleStatuses(viewer, peers) : new Map<number, UserStatus>(),
    ]);
    return entries.map(({ room, membership, peer }) => {
      const summary: RoomSummary = {
        id: room.id,
        kind: room.kind,
        name: peer ? peer.name : room.name,
        topic: room.topic,
        members: room.members,
        online: online.get(room.id) ?? 0,
        joined: membership !== undefined,
        head: room.head,
        unread: membership?.unread ?? 0,
      };
      if (membership?.mentions) summary.mentions = membership.mentions;
      if (room.archivedAt) summary.archived = true;
      if (peer) summary.peer = { ...peer, status: statuses.get(peer.id) ?? "offline" };
      else summary.visibility = room.visibility;
      return summary;
    });
  }

  private async summary(
    viewer: number,
    room: RoomRecord,
    membership: MembershipRecord | undefined,
    peer?: UserRef,
  ): Promise<RoomSummary> {
    return (
      await this.summaries(viewer, [peer ? { room, membership, peer } : { room, membership }])
    )[0] as RoomSummary;
  }

  /** Statuses as `viewer` may see them: hidden ones read "offline". */
  private visibleStatuses(viewer: number, users: readonly number[], shared = false) {
    const live = (ids: readonly number[]) => this.o.hub.presence.statuses(ids);
    return this.o.visibility.statuses(viewer, users, live, shared);
  }

  /** Tells a user's rooms of a status change (presence-announcer.ts). */
  announcePresence(user: UserRef, status: UserStatus, rooms: readonly number[]): Promise<void> {
    return this.announcer.announce(user, status, rooms);
  }

  /** Publishes a frame that is not a message: live only, never stored or replayed. */
  publishEphemeral(room: number, frame: ServerFrame, hide?: readonly number[]): void {
    this.o.bus.publish({ room, seq: EPHEMERAL_SEQ, frame: encodeFrame(frame), hide });
  }

  /** Rooms (joined ones and a page of the rest), then the user's DMs, with unread counts. */
  async listRooms(
    user: UserRef,
    q: RoomListQuery = {},
  ): Promise<{ rooms: RoomSummary[]; next?: string }> {
    const listing = await roomListing(this.o.store, user, q);
    const rooms = await this.summaries(user.id, listing.entries);
    return listing.next === undefined ? { rooms } : { rooms, next: listing.next };
  }

  /** One creation at a time per user on this node, so the cap cannot be raced past. */
  createRoom(
    user: UserRef,
    name: string,
    topic = "",
    visibility: RoomVisibility = "public",
  ): Promise<RoomSummary> {
    return this.perUser.run(user.id, () => this.createRoomNow(user, name, topic, visibility));
  }

  private async createRoomNow(
    user: UserRef,
    name: string,
    topic: string,
    visibility: RoomVisibility,
  ): Promise<RoomSummary> {
    if (!ROOM_NAME_PATTERN.test(name)) throw new ParleyError("INVALID_ROOM_NAME");
    if ((await this.o.store.countRoomsCreatedBy(user.id)) >= this.o.maxRoomsPerUser) {
      throw new ParleyError(
        "TOO_MANY_ROOMS",
        `You may create at most ${this.o.maxRoomsPerUser} rooms.`,
      );
    }
    if (!topic.isWellFormed() || topic.includes("\u0000")) {
      throw new ParleyError("INVALID", "topic: not valid text");
    }
    const room = await this.o.store.createRoom(
      name,
      topic.trim(),
      user.id,
      this.o.now(),
      visibility,
    );
    if (room === "taken") throw new ParleyError("ROOM_NAME_TAKEN");
    this.o.hub.memberJoined(user.id, room.id);
    this.o.log.info("room.created", { room: room.id, name: room.name, user: user.id });
    const summary = await this.summary(user.id, room, { room: room.id, lastRead: 0, unread: 0 });
    // A private room is announced to nobody: to anyone not in it, it does not exist.
    if (visibility === "private") return summary;
    // Every client's room list, and the creator's other devices, learn of it without a reload.
    this.publishEphemeral(DIRECTORY, {
      type: "room_created",
      room: { ...summary, joined: false, unread: 0 },
      by: user,
    });
    return summary;
  }

  /**
   * A room as `viewer` may know it: public, or private with the viewer a member. To anyone
   * else a private room does not exist (ROOM_NOT_FOUND), exactly like a DM; DM rooms are
   * reachable only through dm(). Every route, frame and the IRC gateway come through here.
   */
  async findRoom(ref: RoomRef, viewer: UserRef | undefined): Promise<RoomRecord> {
    const room =
      "room" in ref
        ? await this.o.store.findRoom(ref.room)
        : await this.o.store.findRoomByName(ref.name);
    if (room?.kind !== "room") throw new ParleyError("ROOM_NOT_FOUND");
    if (room.visibility === "private") {
      if (!viewer || !(await this.o.store.isMember(room.id, viewer.id))) {
        throw new ParleyError("ROOM_NOT_FOUND");
      }
    }
    return room;
  }

  /** One join at a time per user on this node, so the cap cannot be raced past. */
  join(user: UserRef, ref: RoomRef): Promise<RoomSummary> {
    return this.perUser.run(user.id, () => this.joinNow(user, ref));
  }

  private async joinNow(user: UserRef, ref: RoomRef): Promise<RoomSummary> {
    // A private room is joined by invitation only (invitations.ts): only its members find it.
    const room = await this.findRoom(ref, user);
    if (await this.o.store.isBanned(room.id, user.id, this.o.now())) {
      throw new ParleyError("BANNED");
    }
    // Joined rooms are always listed: bounded, so a room list is too.
    const joined = await this.o.store.joinedRooms(user.id);
    if (joined.length >= this.o.maxRoomsJoined && !joined.some((r) => r.id === room.id)) {
      throw new ParleyError(
        "TOO_MANY_ROOMS",
        `You may be in at most ${this.o.maxRoomsJoined} rooms.`,
      );
    }
    if (await this.o.store.addMember(room.id, user.id, this.o.now())) {
      room.members++;
      this.o.log.info("room.joined", { room: room.id, user: user.id });
      this.publishEphemeral(room.id, { type: "notice", room: room.id, user, event: "joined" });
      room.head = (await this.roomLog.record(room.id, user, "join")) ?? room.head;
    }
    this.o.hub.memberJoined(user.id, room.id);
    const membership = (await this.o.store.memberships(user.id)).find((m) => m.room === room.id);
    return this.summary(user.id, room, membership);
  }

  /** A user became a member by an invitation: a join, live and in the log marked "invite". */
  async announceJoin(user: UserRef, roomId: number): Promise<void> {
    this.o.hub.memberJoined(user.id, roomId);
    this.publishEphemeral(roomId, { type: "notice", room: roomId, user, event: "joined" });
    await this.roomLog.record(roomId, user, "join", { body: "invite" });
    this.o.log.info("room.joined", { room: roomId, user: user.id, by: "invite" });
  }

  /** One leave at a time per user on this node, so a repeated leave stores one event. */
  leave(user: UserRef, roomId: number): Promise<void> {
    return this.perUser.run(user.id, async () => {
      await this.findRoom({ room: roomId }, user);
      await depart({ ...this.o, roomLog: this.roomLog }, user, roomId);
      this.o.hub.memberLeft(user.id, roomId);
      this.publishEphemeral(roomId, { type: "notice", room: roomId, user, event: "left" });
      this.o.log.info("room.left", { room: roomId, user: user.id });
    });
  }

  /**
   * Opens the DM with another user, if they accept DMs from us; on first use it is created, and
   * `created` tells the caller to bring both users' other sockets into it.
   */
  async openDm(
    user: UserRef,
    peerName: string,
  ): Promise<{ room: RoomSummary; peer: UserRef; created: boolean }> {
    const peer = await this.o.contacts.other(user, peerName);
    await this.o.contacts.requireDmAllowed(user, peer.id);
    const dms = await this.o.store.listDms(user.id);
    if (dms.length >= this.o.maxRoomsJoined && !dms.some((d) => d.peer.id === peer.id)) {
      throw new ParleyError("TOO_MANY_ROOMS", `You may have at most ${this.o.maxRoomsJoined} DMs.`);
    }
    const dm = await this.o.store.openDm(user.id, peer.id, this.o.now());
    this.kinds.set(dm.id, "dm");
    this.o.hub.memberJoined(user.id, dm.id);
    this.o.hub.memberJoined(peer.id, dm.id);
    const membership = (await this.o.store.memberships(user.id)).find((m) => m.room === dm.id);
    return {
      room: await this.summary(user.id, dm, membership, dm.peer),
      peer: dm.peer,
      created: dm.created,
    };
  }

  /** A DM as `viewer` sees it: named after, and showing the status of, `other`. */
  async dmSummaryFor(room: RoomSummary, other: UserRef, viewer: number): Promise<RoomSummary> {
    const status = (await this.visibleStatuses(viewer, [other.id])).get(other.id) ?? "offline";
    return { ...room, name: other.name, unread: 0, peer: { ...other, status } };
  }

  /** Throws ROOM_NOT_FOUND or NOT_MEMBER unless the user may read the room. */
  async requireMember(user: UserRef, roomId: number): Promise<void> {
    if (await this.o.store.isMember(roomId, user.id)) return;
    await this.findRoom({ room: roomId }, user);
    throw new ParleyError("NOT_MEMBER");
  }

  async history(user: UserRef, roomId: number, q: HistoryQuery): Promise<HistoryPage> {
    if (q.before !== undefined && q.after !== undefined) {
      throw new ParleyError("INVALID", "Give at most one of before and after.");
    }
    await this.requireMember(user, roomId);
    return historyPage(this.o.store, roomId, q);
  }

  async members(user: UserRef, roomId: number): Promise<Member[]> {
    await this.requireMember(user, roomId);
    const members = await this.o.store.membersOf(roomId);
    // A DM's peer is shown as the visibility rules say; a public room's members share the
    // room, so only a member who blocked the viewer is hidden.
    const ids = members.map((m) => m.id);
    const shared = (await this.kindOf(roomId)) !== "dm";
    const [statuses, standings] = await Promise.all([
      this.visibleStatuses(user.id, ids, shared),
      shared ? this.o.store.standings(roomId) : undefined,
    ]);
    const now = this.o.now();
    return members.map((m) => {
      const status = statuses.get(m.id) ?? "offline";
      const member: Member = { ...m, online: status !== "offline", status };
      const standing = standings?.get(m.id);
      if (standing) {
        member.role = standing.role;
        if (standing.mutedUntil > now) member.mutedUntil = standing.mutedUntil;
      }
      return member;
    });
  }

  async markRead(user: UserRef, roomId: number, seq: number): Promise<void> {
    await this.o.store.markRead(roomId, user.id, seq);
  }

  private async kindOf(roomId: number): Promise<RoomKind | undefined> {
    const cached = this.kinds.get(roomId);
    if (cached) return cached;
    const room = await this.o.store.findRoom(roomId);
    if (!room) return undefined;
    if (this.kinds.size >= KIND_CACHE_MAX) this.kinds.clear();
    this.kinds.set(roomId, room.kind);
    return room.kind;
  }

  /**
   * Checks a send and queues it for the next group commit. `done` runs after the commit; a new
   * message is published to the room right after `done`. Public rooms take text; DM rooms take
   * only sealed envelopes, bound to the room and the sender, from someone the peer accepts.
   * Synchronous for a public room whose kind is known (the hot path); otherwise a promise.
   */
  send(
    user: UserRef,
    req: SendRequest,
    done: (outcome: SendOutcome) => void,
  ): void | Promise<void> {
    if (this.kinds.get(req.room) === "room" && req.file === undefined)
      return this.queue(user, req, checkText(req), false, done);
    return this.sendChecked(user, req, done);
  }

  private async sendChecked(user: UserRef, req: SendRequest, done: (o: SendOutcome) => void) {
    const kind = await this.kindOf(req.room);
    if (kind !== "dm") {
      const body = checkText(req);
      const file = req.file === undefined ? undefined : await this.sharedFile(user, req);
      return this.queue(user, req, body, false, done, file);
    }
    // Outsiders learn nothing about a DM, not even that it exists: checked before anything else.
    const users = await this.o.store.dmUsers(req.room);
    if (!users?.includes(user.id)) throw new ParleyError("ROOM_NOT_FOUND");
    if (req.file !== undefined) {
      throw new ParleyError("INVALID", "A DM's files travel inside its envelope: send no file id.");
    }
    if (req.envelope === undefined) throw new ParleyError("SEALED_ONLY");
    const env = req.envelope;
    // Bound to this conversation, this sender and this send (its id is the cid, so a retry is
    // recognisably the same message), and addressed to no one outside the DM.
    if (
      env.conv !== dmConversation(req.room) ||
      env.from.u !== e2eeUserId(user.id) ||
      env.id !== req.cid
    ) {
      throw new ParleyError("BAD_ENVELOPE");
    }
    const participants = new Set(users.map(e2eeUserId));
    if (env.to.some((r) => !participants.has(r.u))) throw new ParleyError("BAD_ENVELOPE");
    await this.o.contacts.requireDmAllowed(user, users[0] === user.id ? users[1] : users[0]);
    this.queue(user, req, JSON.stringify(env), true, done);
  }

  /** The file a public-room send shares: it must be one this user uploaded to this room. */
  private async sharedFile(user: UserRef, req: SendRequest): Promise<MessageFile> {
    const f = await this.o.store.findFile(req.file as string);
    if (!f || f.room !== req.room || f.uploader !== user.id || f.name === undefined) {
      throw new ParleyError("FILE_NOT_FOUND", "You uploaded no file with that id to this room.");
    }
    return { id: f.id, name: f.name, size: f.size, type: f.type ?? "application/octet-stream" };
  }

  private queue(
    user: UserRef,
    req: SendRequest,
    body: string,
    sealed: boolean,
    done: (outcome: SendOutcome) => void,
    file?: MessageFile,
  ): void {
    const request: AppendRequest = {
      room: req.room,
      sender: user,
      cid: req.cid,
      body,
      sealed,
      ts: this.o.now(),
    };
    if (file) request.file = file;
    if (req.reply !== undefined) request.reply = req.reply;
    const accepted = this.o.queue.submit(request, (result) => {
      if (result === "failed") {
        return done({
          ok: false,
          error: new ParleyError("UNAVAILABLE", undefined, { retryAfter: OUTAGE_RETRY_AFTER_S }),
        });
      }
      if (!result.ok) {
        if (result.code !== "NOT_MEMBER") {
          return done({ ok: false, error: new ParleyError(result.code) });
        }
        // An outsider learns nothing of a private room, not even from a refused send.
        this.o.store.findRoom(req.room).then(
          (room) => {
            const code = room?.visibility === "public" ? "NOT_MEMBER" : "ROOM_NOT_FOUND";
            done({ ok: false, error: new ParleyError(code) });
          },
          () => done({ ok: false, error: new ParleyError("NOT_MEMBER") }),
        );
        return;
      }
      // A send is a message; a cid reused from an event answers with that event's seq.
      const m = result.message ?? (result.event as unknown as Message);
      done({ ok: true, message: m, duplicate: result.duplicate });
      // A duplicate is published again: its first commit may never have been announced (it
      // outlived its deadline, or its node died before publishing). Readers drop repeats by seq.
      this.o.bus.publish({
        room: m.room,
        seq: m.seq,
        frame: encodeFrame(entryFrame(result.message ?? result.event)),
      });
      if (!result.duplicate) {
        this.o.metrics?.messagesAccepted.inc();
        this.o.log.debug("message.stored", { room: m.room, seq: m.seq, bytes: body.length });
      }
    });
    if (!accepted) throw new ParleyError("BUSY");
  }
}

/** The text of a send to a public room ("" for a file without a caption), or why it is refused. */
function checkText(req: SendRequest): string {
  if (req.envelope !== undefined) {
    throw new ParleyError("INVALID", "Envelopes are for direct messages; send a body.");
  }
  if (req.body === undefined && req.file !== undefined) return "";
  if (req.body === undefined || !isValidMessage(req.body)) throw new ParleyError("INVALID_MESSAGE");
  return req.body;
}
