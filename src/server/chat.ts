/**
 * The room directory, shared by the HTTP routes, the WebSocket commands and the IRC gateway:
 * rooms, DMs, membership, history and members. Each operation checks its own rules and throws a
 * coded ParleyError when it refuses. Sending is send-pipeline.ts; who may act is access.ts.
 */
import type { MembershipRecord, RoomRecord, RoomVisibility, Store } from "../../db/store.ts";
import { type Bus, EPHEMERAL_SEQ } from "../bus/bus.ts";
import { errorFields, type Logger } from "../log/log.ts";
import {
  encodeFrame,
  type Member,
  ParleyError,
  ROOM_NAME_PATTERN,
  type RoomEvent,
  type RoomSummary,
  type ServerFrame,
  type UserRef,
  type UserStatus,
} from "../protocol/index.ts";
import type { Access } from "./access.ts";
import type { CommitQueue } from "./commit-queue.ts";
import type { Contacts } from "./contacts.ts";
import { depart } from "./departure.ts";
import { type HistoryPage, type HistoryQuery, historyPage } from "./history.ts";
import { DIRECTORY, type Hub, type Socket } from "./hub.ts";
import { KeyedSerial } from "./keyed-serial.ts";
import { MessageEvents } from "./message-events.ts";
import type { Metrics } from "./metrics.ts";
import type { Presence } from "./presence.ts";
import { PresenceAnnouncer } from "./presence-announcer.ts";
import type { PresenceVisibility } from "./presence-visibility.ts";
import { moderates } from "./roles.ts";
import type { RoomKinds } from "./room-kinds.ts";
import { type RoomListQuery, roomListing } from "./room-list.ts";
import { RoomLog } from "./room-log.ts";
import { GROUP_LEAVE } from "./sealed-envelope.ts";
import { MessageSearch } from "./search.ts";

export type RoomRef = { room: number } | { name: string };
export type { HistoryPage, HistoryQuery } from "./history.ts";
export type { SendOutcome, SendRequest } from "./send-pipeline.ts";

export interface ChatOptions {
  store: Store;
  bus: Bus;
  hub: Hub;
  /** Who is online; chat announces its changes (presence-announcer.ts). */
  presence: Presence<Socket>;
  access: Access;
  kinds: RoomKinds;
  /** The group commit, for message events (message-events.ts). */
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

export class Chat {
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
      kindOf: (room) => o.kinds.of(room),
      publish: (room, frame, hide) => this.publishEphemeral(room, frame, hide),
    });
    // Presence knows nothing of rooms' frames: chat listens and tells the rooms.
    o.presence.onChange((user, status, rooms) => {
      this.announcer
        .announce(user, status, rooms)
        .catch((err) => o.log.warn("presence.announce_failed", errorFields(err)));
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
    const presence = this.o.presence;
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
    const live = (ids: readonly number[]) => this.o.presence.statuses(ids);
    return this.o.visibility.statuses(viewer, users, live, shared);
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
    if (!room || room.kind === "dm") throw new ParleyError("ROOM_NOT_FOUND");
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
    const added = await this.roomLog.membership(room.id, user, "join");
    if (added !== "unchanged") {
      room.members++;
      room.head = added.seq;
      this.o.log.info("room.joined", { room: room.id, user: user.id });
      this.publishEphemeral(room.id, { type: "notice", room: room.id, user, event: "joined" });
    }
    this.o.hub.memberJoined(user.id, room.id);
    const membership = (await this.o.store.memberships(user.id)).find((m) => m.room === room.id);
    return this.summary(user.id, room, membership);
  }

  /**
   * A user became a member by an invitation: live, and their join (marked "invite"), stored in
   * the invitation's transaction with the membership, published.
   */
  async announceJoin(user: UserRef, roomId: number, join: RoomEvent | undefined): Promise<void> {
    this.o.hub.memberJoined(user.id, roomId);
    this.publishEphemeral(roomId, { type: "notice", room: roomId, user, event: "joined" });
    if (join) this.roomLog.publish(join);
    this.o.log.info("room.joined", { room: roomId, user: user.id, by: "invite" });
  }

  /** One leave at a time per user on this node; across nodes the store stores one (room-log.ts). */
  leave(user: UserRef, roomId: number): Promise<void> {
    return this.perUser.run(user.id, async () => {
      const room = await this.findRoom({ room: roomId }, user);
      if (room.kind === "group") throw new ParleyError("BAD_MEMBERSHIP", GROUP_LEAVE);
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
    this.o.kinds.remember(dm.id, "dm");
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

  /** Throws ROOM_NOT_FOUND or NOT_MEMBER unless the user may read the room (access.ts). */
  requireMember(user: UserRef, roomId: number): Promise<void> {
    return this.o.access.requireMember(user, roomId);
  }

  async history(user: UserRef, roomId: number, q: HistoryQuery): Promise<HistoryPage> {
    await this.requireMember(user, roomId);
    return this.historyOf(roomId, q);
  }

  /** A page of the room's log, for a caller that checked membership (a declared requirement). */
  historyOf(roomId: number, q: HistoryQuery): Promise<HistoryPage> {
    if (q.before !== undefined && q.after !== undefined) {
      throw new ParleyError("INVALID", "Give at most one of before and after.");
    }
    return historyPage(this.o.store, roomId, q);
  }

  async members(user: UserRef, roomId: number): Promise<Member[]> {
    await this.requireMember(user, roomId);
    return this.membersOf(user, roomId);
  }

  /** The room's members as `user` may see them, for a caller that checked membership. */
  async membersOf(user: UserRef, roomId: number): Promise<Member[]> {
    const members = await this.o.store.membersOf(roomId);
    // A DM's peer is shown as the visibility rules say; a public room's members share the
    // room, so only a member who blocked the viewer is hidden.
    const ids = members.map((m) => m.id);
    const shared = (await this.o.kinds.of(roomId)) !== "dm";
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
}
