/**
 * A member leaving a room. The leave is an event of the room's log, stored in the transaction
 * that ends the membership (room-log.ts), so every member sees it in order. Who may go:
 * the only owner may not while others stay (LAST_OWNER, roles.ts). The last member of a private
 * room may, and the room is then archived, by the store in the leave's own transaction (as
 * Mattermost archives a private channel its last member leaves): nobody could ever be invited
 * back, so it is kept read-only for the record and a server admin may delete it. A public room its last member leaves stays open to anyone, as
 * an IRC channel or a Zulip stream does, and server admins manage it (docs/admin.md).
 */
import { ARCHIVING_LEAVE, type Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import { ParleyError, type UserRef } from "../protocol/index.ts";
import { requireMayLeave } from "./roles.ts";
import type { RoomLog } from "./room-log.ts";

export interface DepartureOptions {
  store: Store;
  roomLog: RoomLog;
  log: Logger;
  now: () => number;
}

/** Takes the user out of the room (NOT_MEMBER if they were not in it), after storing the leave. */
export async function depart(o: DepartureOptions, user: UserRef, room: number): Promise<void> {
  await requireMayLeave(o.store, room, user);
  // The leave, its event and (the last member of a private room) the archive are one
  // transaction: a leave raced on another node stores one, and a join raced with the last
  // leave waits for it and finds the room archived, never a member in an archived room.
  const left = await o.roomLog.membership(room, user, "leave");
  if (left === "unchanged") throw new ParleyError("NOT_MEMBER");
  if (left.body === ARCHIVING_LEAVE) {
    o.log.info("room.archived", { room, actor: user.id, why: "last_member_left" });
  }
}
