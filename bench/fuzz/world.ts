/**
 * The world a fuzz profile runs in: accounts for the bystanders, the lanes and the HTTP lane,
 * the bystanders' room, a room per lane, and the ids and names the generators aim at. Names
 * come from the seed, so a rerun builds the same world.
 */
import type { RoomSummary } from "../../src/protocol/index.ts";
import { type Account, createRoom, joinRoom, register } from "./api.ts";
import type { Random } from "./random.ts";

export interface World {
  account(name: string): Account;
  bystanderRoom: RoomSummary;
  /** Rooms to aim at: each lane's, the bystanders', one that does not exist, an invalid id. */
  rooms: number[];
  roomNames: string[];
  userNames: string[];
  userIds: number[];
}

export async function buildWorld(base: string, rng: Random, laneCount: number): Promise<World> {
  const tag = rng.int(0, 36 ** 4).toString(36);
  const lanes = Array.from({ length: laneCount }, (_, i) => `fz-${i}`);
  const names = ["by-a", "by-b", ...lanes, "fz-http", "fz-wire"];
  const accounts = new Map<string, Account>();
  await Promise.all(
    names.map(async (n) => accounts.set(n, await register(base, `${n}-${tag}`.replace(/-/g, "_")))),
  );
  const account = (n: string) => {
    const a = accounts.get(n);
    if (!a) throw new Error(`no account ${n}`);
    return a;
  };
  const bystanderRoom = await createRoom(base, account("by-a").token, `bystand-${tag}`);
  await joinRoom(base, account("by-b").token, bystanderRoom.id);
  const laneRooms: number[] = [];
  for (const lane of lanes) {
    laneRooms.push((await createRoom(base, account(lane).token, `fuzz-${tag}-${lane}`)).id);
  }
  const all = [...accounts.values()];
  return {
    account,
    bystanderRoom,
    rooms: [...laneRooms, bystanderRoom.id, 999_999, 0],
    roomNames: [`bystand-${tag}`, `fuzz-${tag}-fz-0`, "no-such-room", `BYSTAND-${tag}`],
    userNames: [...all.map((a) => a.user.name), "nobody-here", "BY_A"],
    userIds: [...all.map((a) => a.user.id), 999_999],
  };
}
