/**
 * What the server pushes about the conversations besides messages: someone typing, joining or
 * leaving, presence, a DM opened by the other person, a room created elsewhere; and, after
 * this page's own reconnect, the statuses and counts read again, since pushes are never
 * replayed. It updates the held conversations and says what to redraw.
 */
import type { Connection, PushFrame } from "../client-core/connection.ts";
import { isRoomEventLine } from "../client-core/room-event-text.ts";
import type { RoomEvent, RoomSummary, UserRef } from "../protocol/index.ts";
import type { Conversation, Item } from "./conversation.ts";
import type { Conversations } from "./conversations.ts";
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
      conn: Connection;
      conversations: Conversations;
      typing: TypingLine;
    },
    private readonly hooks: RoomActivityHooks,
  ) {}

  push(f: PushFrame): void {
    const { me, conversations, typing } = this.o;
    switch (f.type) {
      case "typing":
        if (f.user.id !== me.id) typing.typingIn(f.room, f.user);
        return;
      case "notice":
        // The line and the member count come from the stored join or leave (roomEvent).
        if (f.event === "left") typing.stopped(f.room, f.user.id);
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
    }
  }

  /**
   * A room's own event of its log (a join, a leave, a kick, a topic…), live or replayed: a line
   * in the conversation, and the sidebar and header follow. False for an event about a message.
   */
  roomEvent(e: RoomEvent): boolean {
    if (!isRoomEventLine(e)) return false;
    // A room not held yet (its join's replay comes before the reply): kept, in order.
    if (this.o.conversations.keepEarly(e, undefined)) return true;
    const c = this.o.conversations.get(e.room) as Conversation;
    const item = c.roomEvent(e);
    if (this.o.conversations.current === e.room) this.hooks.append(item);
    this.hooks.changed();
    return true;
  }

  /** This page's socket is back: read presence, member counts and topics again (one request). */
  backOnline(): void {
    this.o.conn.listRooms().then(
      (rooms) => {
        for (const r of rooms) if (this.o.conversations.get(r.id)) this.hooks.track(r);
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
    if (by.id !== this.o.me.id || this.o.conversations.get(room.id)) return;
    // Created on this page: its `created` reply attaches it; joining as well would race that.
    if (this.o.conn.isCreating(room.name)) return;
    this.o.conn.join(room.name).then(
      (joined) => this.hooks.track(joined),
      () => {}, // gone again, or stopped: nothing to list
    );
  }
}
