/**
 * Encrypted groups (docs/e2ee.md 12), the store's concept: which private rooms are groups,
 * and their membership versions, which are "membership" events of the room's own log (written
 * by append like every event), read here in log order so a client can check the whole chain.
 */
import type { UserRef } from "../src/protocol/index.ts";
import type { AppendRequest, AppendResult } from "./message-log.ts";

export interface GroupVersionRecord {
  seq: number;
  ts: number;
  from: UserRef;
  /** The signed version as stored (JSON); nothing here vouches for it. */
  body: string;
}

/** A group's next membership version, as the server applies it (src/server/groups.ts). */
export interface GroupVersionChange {
  /** The "membership" event holding the signed version; its sender must be a member. */
  event: AppendRequest;
  /**
   * The seq of the newest version the change was checked against (0: none). If another was
   * stored since (another node's), the change is "stale" and nothing is stored.
   */
  after: number;
  /** Users the version adds to the server's members (joined at the event's ts). */
  add: readonly number[];
  /** Members the version drops: they leave after the event is stored, so a leaver signs it. */
  remove: readonly number[];
  /** The version's admins: their role becomes owner, every other member's member. */
  admins: readonly number[];
}

export interface GroupStore {
  /** Marks a private room as a group; its kind then reads "group" everywhere. */
  markGroup(roomId: number): Promise<void>;
  /** The room's membership events, oldest first (at most GROUP_VERSIONS_MAX, the newest). */
  groupVersions(roomId: number): Promise<GroupVersionRecord[]>;
  /**
   * Stores a membership version and everything the server keeps in step with it, in one
   * transaction: the added members join, the event is appended, every member's role is set from
   * the admins (so the room's rights follow the chain), and the dropped members leave. When the
   * append is refused, or the change is stale, nothing changes and that is returned.
   */
  storeGroupVersion(change: GroupVersionChange): Promise<AppendResult | "stale">;
}

/** Versions a group's state returns: each change is one, so this bounds a reply's size. */
export const GROUP_VERSIONS_MAX = 1000;
