/**
 * Tells a user's rooms that their status changed: every public room they are in, and a DM only
 * when its peer may see them (presence-visibility.ts); never the users they block, who may share
 * those rooms (the hub then sends socket by socket on every node, skipping theirs). Invariant: announcements go out in the
 * order the changes happened, even when a lookup for one of them waits.
 */
import type { Store } from "../../db/store.ts";
import type { RoomKind, ServerFrame, UserRef, UserStatus } from "../protocol/index.ts";
import type { PresenceVisibility } from "./presence-visibility.ts";

export interface PresenceAnnouncerOptions {
  store: Store;
  visibility: PresenceVisibility;
  kindOf(room: number): Promise<RoomKind | undefined>;
  /** `hide`: users who must not receive the frame, whatever rooms they share. */
  publish(room: number, frame: ServerFrame, hide: readonly number[]): void;
}

export class PresenceAnnouncer {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly o: PresenceAnnouncerOptions) {}

  announce(user: UserRef, status: UserStatus, rooms: readonly number[]): Promise<void> {
    const next = this.tail.then(() => this.announceNow(user, status, rooms));
    this.tail = next.catch(() => {});
    return next;
  }

  private async announceNow(user: UserRef, status: UserStatus, rooms: readonly number[]) {
    // Those the user blocks share public rooms with them but must not see them (usually none).
    const hide = (await this.o.store.blockedBy(user.id)).map((u) => u.id);
    for (const room of rooms) {
      if ((await this.o.kindOf(room)) === "dm") {
        const users = await this.o.store.dmUsers(room);
        const peer = users?.find((id) => id !== user.id);
        if (peer === undefined || !(await this.o.visibility.canSee(peer, user.id))) continue;
      }
      this.o.publish(room, { type: "presence", room, user, status }, hide);
    }
  }
}
