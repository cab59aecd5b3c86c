/**
 * Each room's kind (public or private room, or DM), looked up once: rooms never change kind, so
 * the answer can be kept. Bounded, since DMs are many; a forgotten kind is simply read again.
 */
import type { Store } from "../../db/store.ts";
import type { RoomKind } from "../protocol/index.ts";

const KIND_CACHE_MAX = 100_000;

export class RoomKinds {
  private readonly kinds = new Map<number, RoomKind>();

  constructor(private readonly store: Store) {}

  /** The kind if already known: the synchronous answer the hot send path needs. */
  known(room: number): RoomKind | undefined {
    return this.kinds.get(room);
  }

  remember(room: number, kind: RoomKind): void {
    if (this.kinds.size >= KIND_CACHE_MAX) this.kinds.clear();
    this.kinds.set(room, kind);
  }

  async of(room: number): Promise<RoomKind | undefined> {
    const cached = this.kinds.get(room);
    if (cached) return cached;
    const found = await this.store.findRoom(room);
    if (!found) return undefined;
    this.remember(room, found.kind);
    return found.kind;
  }
}
