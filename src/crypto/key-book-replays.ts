/**
 * Replay memory, part of the key book's state: for each conversation, the envelopes this device
 * has opened, by sender device and envelope id, with the seq each first arrived at. Seeing the
 * same envelope at the same seq again is a reload of history; at any other seq it is a replay
 * (a server delivering an old message as new), which clients flag and never show as new.
 * Bounded: the newest ENTRIES_MAX per conversation and CONVERSATIONS_MAX conversations.
 */
import { z } from "zod";
import { conversationId } from "./wire.ts";

export const ENTRIES_MAX = 2_000;
export const CONVERSATIONS_MAX = 500;

export const replaysSchema = z
  .array(
    z.object({
      conv: conversationId,
      /** [sender user "/" device "/" envelope id, seq], oldest first. */
      seen: z.array(z.tuple([z.string().min(1).max(200), z.int().min(0)])).max(ENTRIES_MAX),
    }),
  )
  .max(CONVERSATIONS_MAX);
export type Replays = z.infer<typeof replaysSchema>;

/**
 * `elsewhere`: "same" only because another holder of a shared store (another tab) opened it
 * while this one was open; this holder has not shown it yet.
 */
export type Sighting =
  | { kind: "new" }
  | { kind: "same"; elsewhere?: true }
  | { kind: "replay"; firstSeq: number };

/** Whether `replays` holds `key` in `conv`, at any seq. */
export function holds(replays: Replays, conv: string, key: string): boolean {
  return replays.some((r) => r.conv === conv && r.seen.some(([k]) => k === key));
}

/** The envelope's identity within a conversation: who sealed it and its id. */
export function envelopeKey(from: { user: string; device: string }, id: string): string {
  return `${from.user}/${from.device}/${id}`;
}

/** Records `key` seen at `seq` in `conv`; the state is unchanged unless the sighting is new. */
export function sight(
  replays: Replays,
  conv: string,
  key: string,
  seq: number,
): { replays: Replays; sighting: Sighting } {
  const entry = replays.find((r) => r.conv === conv);
  const found = entry?.seen.find(([k]) => k === key);
  if (found) {
    const sighting: Sighting =
      found[1] === seq ? { kind: "same" } : { kind: "replay", firstSeq: found[1] };
    return { replays, sighting };
  }
  const seen = [...(entry?.seen ?? []), [key, seq] as [string, number]].slice(-ENTRIES_MAX);
  // The conversation just used goes last, so the least recently used is dropped first.
  const rest = replays.filter((r) => r.conv !== conv).slice(-(CONVERSATIONS_MAX - 1));
  return { replays: [...rest, { conv, seen }], sighting: { kind: "new" } };
}
