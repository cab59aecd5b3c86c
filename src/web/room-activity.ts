/**
 * What the server pushes about the conversations besides messages: someone typing, joining or
 * leaving, presence, a DM opened by the other person, a room created elsewhere; and, after
 * this page's own reconnect, the statuses and counts read again, since pushes are never
 * replayed. It updates the held conversations and says what to redraw.
 */
import type { ChatSession } from "../client-core/chat-session.ts";
import type { PushFrame } from "../client-core/connection.ts";
import { isRoomEventLine } from "../client-core/room-event-text.ts";
import type { RoomEvent, RoomSummary, UserRef } from "../protocol/index.ts";
import type { Conversation, Item } from "./conversation.ts";
import type { TypingLine } from "./typing-line.ts";

export interface RoomActivityHooks {
  /** Holds a conversation (new, or its summary refreshed). */
  track(summary: RoomSummary): Conversation;
  /** A notice in the conversation on screen. */
  append(item: Item): void;
  /** Something the sidebar or the header shows changed. */
  changed(): void;
  /** A room was created somewhere: an open rooms dialog lists it. */
  roomListed(): void;
}

export class RoomActivity {
  constructor(
    private readonly o: {
      me: UserRef;
      session: ChatSession<Conversation>;
      typing: TypingLine;
    },
    private readonly hooks: RoomActivityHooks,
  ) {
    o.session.conn.on("push", (f) => this.push(f));
    o.session.conn.on("event", (e) => this.roomEvent(e));
    o.session.conn.on("status", (s) => {
      if (s.kind === "back-online") this.backOnline();
    });
  }

  push(f: PushFrame): void {
    const { me, session, typing } = this.o;
    const { conversations } = session;
    switch (f.type) {
      case "typing":
        if (session.typingIn(f.room, f.user, me.id)) typing.changed(f.room);
        return;
      case "notice":
        // The line and the member count come from the stored join or leave (roomEvent).
        if (f.event === "left") {
          session.stoppedTyping(f.room, f.user.id);
          typing.changed(f.room);
        }
        return;
      case "presence":
        if (conversations.presence(f.user, f.status)) this.hooks.changed();
        return;
      case "dm_opened":
        this.hooks.track(f.room);
        return;
      case "room_created":
        this.roomCreated(f.room, f.by);
        return;
      case "removed": // kicked, banned, or the room deleted: it goes from the list
        conversations.forget(f.room);
        this.hooks.changed();
        return;
      case "devices_changed":
        return; // SecureDm fetches the keys again and says what changed
      case "group_added": // SecureGroups attaches it; listed here
        this.whenListed(f.room, () => this.hooks.changed());
        return;
    }
  }

  /**
   * A room's own event of its log (a join, a leave, a kick, a topic…), live or replayed: a line
   * in the conversation, and the sidebar and header follow. False for an event about a message.
   */
  roomEvent(e: RoomEvent): boolean {
    if (!isRoomEventLine(e)) return false;
    // A room not held yet (its join's replay comes before the reply) is made from its summary.
    const { conversations } = this.o.session;
    const c = conversations.forRoom(e.room);
    if (!c) return true;
    const item = c.roomEvent(e);
    if (conversations.current === e.room) this.hooks.append(item);
    this.hooks.changed();
    return true;
  }

  /** Lists a room this page does not hold yet (a group made or joined), then runs `then`. */
  whenListed(room: number, then: () => void): void {
    if (this.o.session.conversations.get(room)) {
      then();
      return;
    }
    this.o.session.conn.listRooms().then(
      (rooms) => {
        const found = rooms.find((r) => r.id === room);
        if (found) this.hooks.track(found);
        then();
      },
      () => then(),
    );
  }

  /** This page's socket is back: read presence, member counts and topics again (one request). */
  backOnline(): void {
    this.o.session.conn.listRooms().then(
      (rooms) => {
        for (const r of rooms) if (this.o.session.conversations.get(r.id)) this.hooks.track(r);
        this.hooks.changed();
      },
      () => {}, // dropped again: the next back-online reads them
    );
  }

  /**
   * By this user on another device, the room is theirs, so it is attached and listed; by
   * anyone, the rooms dialog lists it if open.
   */
  private roomCreated(room: RoomSummary, by: UserRef): void {
    this.hooks.roomListed();
    if (by.id !== this.o.me.id || this.o.session.conversations.get(room.id)) return;
    // Created on this page: its `created` reply attaches it; joining as well would race that.
    if (this.o.session.conn.isCreating(room.name)) return;
    this.o.session.conn.join(room.name).then(
      (joined) => this.hooks.track(joined),
      () => {}, // gone again, or stopped: nothing to list
    );
  }
}
