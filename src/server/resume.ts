/**
 * Resume in batches: a socket that reconnects names its rooms and last seqs, and is attached to
 * all of them with two store reads for the lot (the user's rooms, and every named room's head)
 * plus one replay read per room that has something new, a few rooms at a time. A reconnect
 * storm after a node dies is mostly rooms with nothing new: those cost no read of their own.
 *
 * Every room starts catching up (buffering live messages) before the heads are read, so a
 * message committed meanwhile is in the buffer, the read, or both (replay.ts). An outage
 * rejects the whole resume with UNAVAILABLE, leaving no room half attached: the client retries.
 */
import type { LogEntry } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import type { ErrorCode } from "../protocol/index.ts";
import type { Hub, Socket } from "./hub.ts";
import { finishAttach, type Replay, type ReplayLimits, readGap } from "./replay.ts";

export interface ResumeResult {
  rooms: { room: number; head: number }[];
  refused: { room: number; code: ErrorCode }[];
}

/** Replay reads in flight at once for one socket: a storm must leave connections for sends. */
const REPLAY_CONCURRENCY = 2;

export async function resume(
  replay: Replay,
  ws: Socket,
  wanted: readonly { room: number; after: number }[],
  /** Waits while the socket's send buffer is full. */
  drained: () => Promise<void>,
): Promise<ResumeResult> {
  const { store, hub, log, limits } = replay;
  const result: ResumeResult = { rooms: [], refused: [] };
  // A room listed twice is resumed once, from the lower `after`: replaying more never loses one.
  const lowest = new Map<number, { room: number; after: number }>();
  for (const w of wanted) {
    const seen = lowest.get(w.room);
    if (!seen || w.after < seen.after) lowest.set(w.room, w);
  }
  const unique = [...lowest.values()];
  const watched = unique.map(({ room }) => hub.beginCatchUp(ws, room));
  let mine: Set<number>;
  let heads: Map<number, number>;
  try {
    await Promise.all(watched);
    const [rooms, read] = await Promise.all([
      store.roomsOf(ws.data.session.user.id),
      store.roomHeads(unique.map((w) => w.room)),
    ]);
    mine = new Set(rooms);
    heads = read;
  } catch (err) {
    for (const { room } of unique) hub.detach(ws, room);
    throw err;
  }
  const todo: { room: number; after: number }[] = [];
  const outside: number[] = [];
  for (const w of unique) {
    if (!mine.has(w.room)) {
      hub.detach(ws, w.room);
      if (heads.has(w.room)) outside.push(w.room);
      else result.refused.push({ room: w.room, code: "ROOM_NOT_FOUND" });
    } else if ((heads.get(w.room) ?? 0) <= w.after) {
      // Nothing stored past `after`: live at once (anything newer is in the buffer).
      result.rooms.push({ room: w.room, head: live(hub, log, ws, w, [], limits) });
    } else {
      todo.push(w);
    }
  }
  // A private room or DM one is not in does not exist to them; a public one says NOT_MEMBER.
  for (const room of outside) {
    const found = await store.findRoom(room);
    const code = found?.visibility === "public" ? "NOT_MEMBER" : "ROOM_NOT_FOUND";
    result.refused.push({ room, code });
  }
  let failure: unknown;
  const worker = async () => {
    for (let w = todo.shift(); w && failure === undefined; w = todo.shift()) {
      let messages: LogEntry[];
      try {
        messages = await readGap(store, w.room, { after: w.after }, limits);
      } catch (err) {
        failure ??= err;
        break;
      }
      if (ws.data.delivery.state === "closed") return;
      result.rooms.push({ room: w.room, head: live(hub, log, ws, w, messages, limits) });
      await drained();
    }
  };
  await Promise.all(Array.from({ length: REPLAY_CONCURRENCY }, worker));
  if (failure !== undefined) {
    for (const { room } of unique) if (ws.data.delivery.catchUp.has(room)) hub.detach(ws, room);
    throw failure;
  }
  return result;
}

function live(
  hub: Hub,
  log: Logger,
  ws: Socket,
  w: { room: number; after: number },
  messages: LogEntry[],
  limits: ReplayLimits,
): number {
  return finishAttach(hub, log, ws, w.room, { after: w.after }, messages, limits);
}
