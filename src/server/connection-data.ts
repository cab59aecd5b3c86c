/**
 * What a server keeps per connection (a WebSocket, or an IRC client's face of one), grouped by
 * the part that uses it: who it is, presence, delivery (hub.ts, replay.ts), the abuse guards
 * (connection.ts) and the order of its sends (send-pipeline.ts).
 */
import type { BusEnvelope } from "../bus/bus.ts";
import type { UserRef } from "../protocol/index.ts";
import type { Session } from "./auth.ts";
import { TokenBucket } from "./rate-limit.ts";
import { newLane, type SendLane } from "./send-pipeline.ts";

/** Invalid frames a connection may send in a burst before it is closed; one back per 5 s. */
export const STRIKES = 10;

export interface Delivery {
  state: "open" | "closed";
  /** Rooms this socket receives: subscribed, or catching up (then listed in catchUp too). */
  rooms: Set<number>;
  /** Live envelopes held for each room the socket is catching up on. */
  catchUp: Map<number, BusEnvelope[]>;
  /** Waiting for the send buffer to drain (resume). */
  drainWaiters: (() => void)[];
}

export interface ConnectionData {
  id: number;
  session: Session;
  /** The session's user. */
  user: UserRef;
  address: string;
  presence: {
    /** This connection asked to be shown as away. */
    away: boolean;
    /** The user's rooms when the connection was accepted; seeds presence. */
    memberships: number[];
  };
  delivery: Delivery;
  /** The frame rate bucket, and the strikes that invalid frames spend. */
  guard: { frames: TokenBucket; strikes: TokenBucket };
  sends: SendLane;
}

export interface NewConnection {
  id: number;
  session: Session;
  address: string;
  memberships: number[];
  /** Frames per second and in a burst. */
  rate: number;
  burst: number;
  now: number;
}

export function connectionData(c: NewConnection): ConnectionData {
  return {
    id: c.id,
    session: c.session,
    user: c.session.user,
    address: c.address,
    presence: { away: false, memberships: c.memberships },
    delivery: { state: "open", rooms: new Set(), catchUp: new Map(), drainWaiters: [] },
    guard: {
      frames: new TokenBucket(c.burst, c.rate, c.now),
      strikes: new TokenBucket(STRIKES, 1 / 5, c.now),
    },
    sends: newLane(),
  };
}
