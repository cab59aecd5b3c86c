/**
 * Attaching a socket to a room: replay what it missed, then switch it to live delivery.
 *
 * The order is what makes it exact: start buffering live messages first, then read the store,
 * send the stored messages, then send the buffered ones with a seq past the last sent, and
 * subscribe in the same synchronous step. A message committed during the read is in the buffer,
 * the read, or both; skipping seqs already sent removes the overlap.
 */
import { entryFrame, type LogEntry, type Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import { encodeFrame } from "../protocol/index.ts";
import type { Hub, Socket } from "./hub.ts";

export type AttachFrom =
  /** Exactly the messages with seq > after (the gap), then live. */
  | { after: number }
  /** The newest `recent` messages as context, then live. */
  | { recent: number };

export interface ReplayLimits {
  /** Most messages replayed; older ones in the gap are announced with a `gap` frame. */
  maxMessages: number;
  /** Most bytes replayed at once, so a replay never trips the slow-consumer cut-off. */
  maxBytes: number;
}

const NEWEST = Number.MAX_SAFE_INTEGER;

/** What attaching reads and writes through, built once by its caller. */
export interface Replay {
  store: Store;
  hub: Hub;
  log: Logger;
  limits: ReplayLimits;
}

/** Returns the last seq the socket has for the room once it is live. */
export async function attach(
  r: Replay,
  ws: Socket,
  room: number,
  from: AttachFrom,
): Promise<number> {
  const watched = r.hub.beginCatchUp(ws, room);
  let messages: LogEntry[];
  try {
    await watched;
    messages = await readGap(r.store, room, from, r.limits);
  } catch (err) {
    r.hub.detach(ws, room);
    throw err;
  }
  return finishAttach(r.hub, r.log, ws, room, from, messages, r.limits);
}

/**
 * The stored log entries a socket attaching with `from` must be sent, oldest first: messages
 * in their current state and the events among them (the room's event log), so the socket ends
 * on the room's real last seq and every event is applied once.
 */
export async function readGap(
  store: Store,
  room: number,
  from: AttachFrom,
  limits: ReplayLimits,
): Promise<LogEntry[]> {
  if (!("after" in from)) return store.logBefore(room, NEWEST, from.recent);
  const entries = await store.logAfter(room, from.after, limits.maxMessages + 1);
  if (entries.length <= limits.maxMessages) return entries;
  return store.logBefore(room, NEWEST, limits.maxMessages);
}

/**
 * The second half of an attach, for a socket already catching up on the room (beginCatchUp):
 * sends the stored messages read since, then the buffered ones, and goes live.
 */
export function finishAttach(
  hub: Hub,
  log: Logger,
  ws: Socket,
  room: number,
  from: AttachFrom,
  messages: LogEntry[],
  limits: ReplayLimits,
): number {
  // Left the room, re-attached or closed while reading: a newer attach owns the room now.
  if (ws.data.delivery.state === "closed" || !ws.data.delivery.catchUp.has(room)) return 0;

  const frames = messages.map((m) => encodeFrame(entryFrame(m)));
  let bytes = frames.reduce((n, f) => n + f.length, 0);
  let first = 0;
  while (bytes > limits.maxBytes && first < frames.length - 1) {
    bytes -= (frames[first] as string).length;
    first++;
  }
  const firstSeq = messages[first]?.seq;
  let last = "after" in from ? from.after : (firstSeq ?? 1) - 1;
  if ("after" in from && firstSeq !== undefined && firstSeq > from.after + 1) {
    ws.send(encodeFrame({ type: "gap", room, from: from.after + 1, to: firstSeq - 1 }));
    hub.metrics?.gapFrames.inc();
  }
  for (let i = first; i < frames.length; i++) {
    const seq = (messages[i] as LogEntry).seq;
    if (seq <= last) continue;
    ws.send(frames[i] as string);
    last = seq;
  }
  const replayed = frames.length - first;
  hub.metrics?.replays.inc();
  hub.metrics?.messagesReplayed.inc(undefined, replayed);
  const live = hub.endCatchUp(ws, room, last);
  log.debug("replay.done", {
    conn: ws.data.id,
    room,
    replayed,
    buffered: live.buffered,
    last: live.last,
  });
  return live.last;
}
