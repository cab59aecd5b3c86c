/** What the gateway's commands use of the node: Parley's own operations, injected once. */
import type { Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import type { Auth } from "../server/auth.ts";
import type { Chat } from "../server/chat.ts";
import type { Hub, Socket } from "../server/hub.ts";
import type { Presence } from "../server/presence.ts";
import type { SendPipeline } from "../server/send-pipeline.ts";
import type { TypingThrottle } from "../server/typing.ts";

export interface IrcLimits {
  /** Lines a connection may send per second, sustained, and in a burst (--rate, --burst). */
  rate: number;
  burst: number;
  /** Seconds of silence before a PING, and again before the connection is dropped. */
  heartbeat: number;
  /** Unsent bytes before a client that does not read is cut off. */
  sendBufferBytes: number;
  /** Messages replayed on JOIN to a client without chathistory. */
  replayMessages: number;
  /** Open IRC connections per address, logged in or not. */
  perAddress: number;
}

export interface IrcContext {
  store: Store;
  auth: Auth;
  chat: Chat;
  sends: SendPipeline;
  hub: Hub;
  presence: Presence<Socket>;
  typing: TypingThrottle;
  log: Logger;
  now: () => number;
  limits: IrcLimits;
  /** The server's name in replies, and the host part of every user's source. */
  serverName: string;
  version: string;
  /** When this node started, for RPL_CREATED. */
  startedAt: number;
}
