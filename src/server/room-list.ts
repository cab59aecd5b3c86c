/**
 * The room list, bounded whatever the number of rooms: every room the user joined and every
 * DM, plus one page of the other public rooms in name order (or just the room of one name).
 * Member counts come kept in the rooms table, never counted per request.
 */
import type { DmRecord, MembershipRecord, RoomRecord, Store } from "../../db/store.ts";
import { nameKey, ROOM_PAGE_DEFAULT, type UserRef } from "../protocol/index.ts";

export interface RoomListQuery {
  /** The previous page's `next`: public rooms whose name key sorts after it. */
  after?: string | undefined;
  limit?: number | undefined;
  /** Instead of a page: the public room of this name, if there is one. */
  name?: string | undefined;
}

export interface RoomListing {
  entries: { room: RoomRecord; membership: MembershipRecord | undefined; peer?: UserRef }[];
  /** Set when more public rooms follow the page. */
  next?: string;
}

export async function roomListing(
  store: Store,
  user: UserRef,
  q: RoomListQuery,
): Promise<RoomListing> {
  const limit = q.limit ?? ROOM_PAGE_DEFAULT;
  const [joined, dms, mine, page] = await Promise.all([
    store.joinedRooms(user.id),
    store.listDms(user.id),
    store.memberships(user.id),
    q.name !== undefined
      ? // A private room is found by name only among the user's own (joined, above).
        store.findRoomByName(q.name).then((r) => (r?.visibility === "public" ? [r] : []))
      : store.listRoomsPage(q.after, limit + 1),
  ]);
  const more = q.name === undefined && page.length > limit;
  if (more) page.pop();
  const byId = new Map<number, RoomRecord>();
  for (const room of [...joined, ...page]) byId.set(room.id, room);
  const rooms = [...byId.values()].sort((a, b) =>
    nameKey(a.name) < nameKey(b.name) ? -1 : nameKey(a.name) > nameKey(b.name) ? 1 : 0,
  );
  const membership = new Map(mine.map((m) => [m.room, m]));
  const listing: RoomListing = {
    entries: [
      ...rooms.map((room) => ({ room, membership: membership.get(room.id) })),
      ...dms.map((room: DmRecord) => ({
        room,
        membership: membership.get(room.id),
        peer: room.peer,
      })),
    ],
  };
  const last = page.at(-1);
  if (more && last) listing.next = nameKey(last.name);
  return listing;
}
