/**
 * Encrypted groups (docs/e2ee.md 12), the store's concept: which private rooms are groups,
 * and their membership versions, which are "membership" events of the room's own log (written
 * by append like every event), read here in log order so a client can check the whole chain.
 */
import type { UserRef } from "../src/protocol/index.ts";

export interface GroupVersionRecord {
  seq: number;
  ts: number;
  from: UserRef;
  /** The signed version as stored (JSON); nothing here vouches for it. */
  body: string;
}

export interface GroupStore {
  /** Marks a private room as a group; its kind then reads "group" everywhere. */
  markGroup(roomId: number): Promise<void>;
  /** The room's membership events, oldest first (at most GROUP_VERSIONS_MAX, the newest). */
  groupVersions(roomId: number): Promise<GroupVersionRecord[]>;
}

/** Versions a group's state returns: each change is one, so this bounds a reply's size. */
export const GROUP_VERSIONS_MAX = 1000;
