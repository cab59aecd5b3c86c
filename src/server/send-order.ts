/**
 * A connection's send order across a refusal. Sends are stored in the order a connection sent
 * them; when one is refused UNAVAILABLE, the sends the client pipelined behind it to the same
 * room must not be stored before its retry. So the connection holds that room: later sends to
 * it (other than the refused cid) are refused UNAVAILABLE too, until the refused cid is sent
 * again or HOLD_MS pass (a client that gave the message up must not be blocked for good).
 */
import { ParleyError } from "../protocol/index.ts";

/** Longest a refused send holds back the sends behind it. */
export const HOLD_MS = 30_000;

export interface HeldRoom {
  cid: string;
  until: number;
}

/** Per connection: rooms held by a refused send, by room id. */
export type SendHolds = Map<number, HeldRoom>;

/** The refusal for a send that must wait for an earlier refused one, or undefined. */
export function heldBack(
  holds: SendHolds,
  room: number,
  cid: string,
  now: number,
): ParleyError | undefined {
  const held = holds.get(room);
  if (!held) return undefined;
  if (held.cid === cid || held.until <= now) {
    holds.delete(room);
    return undefined;
  }
  return new ParleyError(
    "UNAVAILABLE",
    `An earlier send to this room (${held.cid}) was not stored: send it again first.`,
    { retryAfter: 1 },
  );
}

/** Records an UNAVAILABLE answer: the first refused cid holds the room. */
export function noteRefused(holds: SendHolds, room: number, cid: string, now: number): void {
  if (!holds.has(room)) holds.set(room, { cid, until: now + HOLD_MS });
}
