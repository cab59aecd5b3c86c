/**
 * How a connection comes to receive a room: joining by name, creating, opening a DM, and
 * attaching many rooms at once with one `resume`. Each leaves the room tracked (room-tracker.ts)
 * with a baseline and a target, so it is resumed after every reconnect and its gaps are filled.
 */
import { nameKey, type RoomSummary, type ServerFrameOf } from "../protocol/index.ts";
import type { ReplyType, RequestFrame } from "./pending-requests.ts";
import { RequestError } from "./request-error.ts";
import type { RoomTracker, TrackedRoom } from "./room-tracker.ts";

/** Rooms in one `resume` (the server's bound, docs/protocol.md section 8). */
const RESUME_ROOMS_MAX = 1000;

/** What the joiner needs from its connection. */
export interface RoomJoinerHooks {
  /** Waits until open, then sends and resolves with the reply. */
  request<T extends ReplyType>(frame: RequestFrame): Promise<ServerFrameOf<T>>;
  /** Sends on the current socket now; OFFLINE if there is none. */
  call<T extends ReplyType>(
    frame: RequestFrame,
    options?: { timeout?: boolean },
  ): Promise<ServerFrameOf<T>>;
  ready(): Promise<void>;
}

export type Refused = { room: TrackedRoom; code: string };

export class RoomJoiner {
  /** Names of rooms being created here, lower-cased: see isCreating. */
  private readonly creating = new Set<string>();

  constructor(
    private readonly rooms: RoomTracker,
    private readonly hooks: RoomJoinerHooks,
  ) {}

  /** See Connection.join. */
  async join(name: string, { from }: { from?: number | "head" } = {}): Promise<RoomSummary> {
    for (;;) {
      try {
        // Asked by name: the full list is paged, and the room may not be on its first page.
        const listed = await this.hooks.request<"rooms">({ type: "rooms", name });
        const found = listed.rooms.find(
          (r) => r.kind === "room" && nameKey(r.name) === nameKey(name),
        );
        if (!found) throw new RequestError("ROOM_NOT_FOUND", `There is no room named "${name}".`);
        const start = from === "head" ? found.head : from;
        const track = this.rooms.get(found.id) ?? this.rooms.track(found, start);
        const reply = await this.hooks.request<"joined">(
          track.last === undefined
            ? { type: "join", room: found.id }
            : { type: "join", room: found.id, after: track.last },
        );
        this.rooms.settleTarget(track, reply.room.head);
        return reply.room;
      } catch (err) {
        // The socket dropped mid-way: joining is idempotent, so do it again once back.
        if (err instanceof RequestError && err.code === "OFFLINE") continue;
        throw err;
      }
    }
  }

  /** See Connection.attachAll. */
  async attachAll(rooms: readonly RoomSummary[], recent: number): Promise<Refused[]> {
    const fresh = rooms.filter((r) => !this.rooms.has(r.id));
    // Tracked with a baseline, so every later hello resumes them too.
    for (const r of fresh) this.rooms.track(r, Math.max(0, r.head - recent));
    const refused: Refused[] = [];
    for (let i = 0; i < fresh.length; i += RESUME_ROOMS_MAX) {
      const points = fresh
        .slice(i, i + RESUME_ROOMS_MAX)
        .map((r) => ({ room: r.id, after: this.rooms.get(r.id)?.last ?? 0 }));
      try {
        await this.hooks.ready();
        const resumed = await this.hooks.call<"resumed">(
          { type: "resume", rooms: points },
          { timeout: false },
        );
        refused.push(...this.settleResumed(resumed));
      } catch (err) {
        // Dropped meanwhile: the next hello's resume attaches them; anything else is final.
        if (!(err instanceof RequestError && err.code === "OFFLINE")) throw err;
      }
    }
    return refused;
  }

  /** True while this connection is creating a room of this name (its room_created is ours). */
  isCreating(name: string): boolean {
    return this.creating.has(name.toLowerCase());
  }

  async create(name: string, visibility?: "public" | "private"): Promise<RoomSummary> {
    const key = name.toLowerCase();
    this.creating.add(key);
    const frame = visibility ? { name, visibility } : { name };
    const reply = await this.hooks
      .request<"created">({ type: "create", ...frame })
      .finally(() => this.creating.delete(key));
    const track = this.rooms.track(reply.room, reply.room.head);
    this.rooms.settleTarget(track, reply.room.head);
    return reply.room;
  }

  /** See Connection.openDm. */
  async openDm(user: string, { from }: { from?: number | "head" } = {}): Promise<RoomSummary> {
    for (;;) {
      try {
        const listed = await this.hooks.request<"rooms">({ type: "rooms" });
        const found = listed.rooms.find(
          (r) => r.kind === "dm" && nameKey(r.name) === nameKey(user),
        );
        const known = found ? this.rooms.get(found.id) : undefined;
        const start = known ? known.last : from === "head" ? (found?.head ?? 0) : from;
        const reply = await this.hooks.request<"dm">(
          start === undefined ? { type: "dm", user } : { type: "dm", user, after: start },
        );
        // The replay came before the reply (kept as orphans): adopt the room, then take them in.
        const track = this.rooms.get(reply.room.id) ?? this.rooms.adopt(reply.room, start);
        this.rooms.settleTarget(track, reply.room.head);
        return reply.room;
      } catch (err) {
        if (err instanceof RequestError && err.code === "OFFLINE") continue;
        throw err;
      }
    }
  }

  /** A DM the other person opened (`dm_opened`): received from its first message. */
  opened(room: RoomSummary): void {
    if (!this.rooms.has(room.id)) this.rooms.settleTarget(this.rooms.adopt(room, 0), room.head);
  }

  /** Takes in a `resumed` reply: refused rooms are dropped (and returned), the rest filled. */
  settleResumed(resumed: ServerFrameOf<"resumed">): Refused[] {
    const refused: Refused[] = [];
    for (const { room, code } of resumed.refused) {
      const track = this.rooms.get(room);
      this.rooms.delete(room);
      if (track) refused.push({ room: { ...track, last: track.last ?? 0 }, code });
    }
    for (const { room, head } of resumed.rooms) {
      const track = this.rooms.get(room);
      if (track) this.rooms.settleTarget(track, head);
    }
    return refused;
  }
}
