/** What a Connection is given: where the server is, the session's token, and what tests inject. */
import type { BackoffOptions } from "./backoff.ts";
import type { Clock } from "./clock.ts";

export interface ConnectionOptions {
  /**
   * The server's base URL, http(s)://host:port, or the URLs of several nodes of one deployment,
   * tried in this order.
   */
  server: string | readonly string[];
  token: string;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  /** Give up on a socket that has not said hello within this many ms. @default 10000 */
  connectTimeoutMs?: number;
  /** Give up on a request with no reply within this many ms (sends excepted). @default 30000 */
  requestTimeoutMs?: number;
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  /** See SocketLinkOptions.upgradeAuth. @default "ticket" */
  upgradeAuth?: "ticket" | "header";
}
