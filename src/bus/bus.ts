/**
 * The bus carries every committed message to every node that may have its readers. In-process
 * (bus-local.ts) on one machine; Redis pub/sub across many. Each node then fans the frame out to
 * its own sockets through the room's Bun topic.
 *
 * A node receives only the rooms it watches: the hub watches a room while any socket here reads
 * it. Envelopes of rooms nobody here reads may still arrive (a channel carries a bucket of
 * rooms); they cost a decode and nothing else.
 */

export interface BusEnvelope {
  room: number;
  /** The message's seq, or EPHEMERAL_SEQ for a frame that is not a stored message. */
  seq: number;
  /** The encoded `msg` frame: encoded once, delivered to every member as is. */
  frame: string;
  /**
   * Ephemeral only: users none of whose sockets may receive the frame (those a presence's
   * subject blocks). Absent in the common case, which stays one topic publish per node.
   */
  hide?: readonly number[] | undefined;
}

export type Deliver = (envelope: BusEnvelope) => void;

export interface BusHooks {
  /**
   * The bus lost its link and has it back. Envelopes published by other nodes meanwhile were not
   * delivered here: replay every room this node serves from the store.
   */
  reconnected?: () => void;
  /**
   * A control signal from any node, this one included (revocation.ts): small, rare messages
   * every node must act on, carried on their own channel beside the envelopes.
   */
  signal?: (message: string) => void;
}

export interface Bus {
  /** Begins calling `deliver` for every envelope published by any node, in publish order. */
  start(deliver: Deliver, hooks?: BusHooks): Promise<void>;
  publish(envelope: BusEnvelope): void;
  /**
   * Starts receiving the room's envelopes; resolves once they are sure to arrive (or at once
   * while the link is down: the reconnect's resync covers the room). Counted: watch twice,
   * unwatch twice.
   */
  watch(room: number): Promise<void>;
  unwatch(room: number): void;
  /** Sends a control signal to every node, this one included. */
  signal(message: string): void;
  close(): Promise<void>;
}

/** Ephemeral frames (presence, typing, notices) travel with seq 0: never buffered or replayed. */
export const EPHEMERAL_SEQ = 0;
