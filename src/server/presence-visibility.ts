/**
 * Who may see whose live status. Invariant: a user's presence and status reach only people who
 * share a public room with them or whom they accepted as a contact, and never someone they have
 * blocked. Adding a stranger as a contact, or opening a DM with them, shows nothing.
 */
import type { Store } from "../../db/store.ts";
import type { UserStatus } from "../protocol/index.ts";

export class PresenceVisibility {
  constructor(private readonly store: Store) {}

  /** True when `viewer` may see `subject`'s status. */
  async canSee(viewer: number, subject: number): Promise<boolean> {
    return (await this.visibleTo(viewer, [subject])).has(subject);
  }

  /** The subjects whose status `viewer` may see. */
  async visibleTo(viewer: number, subjects: readonly number[]): Promise<Set<number>> {
    const visible = new Set<number>();
    if (subjects.length === 0) return visible;
    const [rooms, dms, blockers, accepters] = await Promise.all([
      this.store.roomsOf(viewer),
      this.store.listDms(viewer),
      this.store.blockersOf(viewer),
      this.store.acceptedBy(viewer),
    ]);
    const blockedBy = new Set(blockers);
    const acceptedBy = new Set(accepters);
    const dmIds = new Set(dms.map((d) => d.id));
    const publicRooms = new Set(rooms.filter((r) => !dmIds.has(r)));
    await Promise.all(
      subjects.map(async (subject) => {
        if (subject === viewer) return visible.add(subject);
        if (blockedBy.has(subject)) return;
        if (acceptedBy.has(subject)) return visible.add(subject);
        const theirs = await this.store.roomsOf(subject);
        if (theirs.some((r) => publicRooms.has(r))) visible.add(subject);
      }),
    );
    return visible;
  }

  /** The members of a public room `viewer` is in, as it may see them: only blocks hide them. */
  async inSharedRoom(viewer: number, members: readonly number[]): Promise<Set<number>> {
    const blockedBy = new Set(await this.store.blockersOf(viewer));
    return new Set(members.filter((m) => !blockedBy.has(m)));
  }

  /**
   * The users' statuses as `viewer` may see them: hidden ones read "offline". `shared`: they
   * are the members of a public room the viewer is in, so only blocks hide anyone.
   */
  async statuses(
    viewer: number,
    users: readonly number[],
    live: (ids: readonly number[]) => Promise<Map<number, UserStatus>>,
    shared = false,
  ): Promise<Map<number, UserStatus>> {
    const [statuses, visible] = await Promise.all([
      live(users),
      shared ? this.inSharedRoom(viewer, users) : this.visibleTo(viewer, users),
    ]);
    for (const id of users) if (!visible.has(id)) statuses.set(id, "offline");
    return statuses;
  }
}
