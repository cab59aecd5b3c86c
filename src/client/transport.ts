/**
 * The terminal client's fetch and WebSocket: Bun's, with the TLS trust the user asked for.
 * The connection layer and the API take these injected, so they stay browser-compatible; only
 * this module knows Bun's `tls` options. It is given the CA's text: client.ts reads the file.
 */

export type Trust =
  /** The system's certificate authorities (Bun's bundled roots). */
  | { kind: "system" }
  /** Only this CA (PEM): Bun's `ca` replaces the bundled authorities, as curl's --cacert does. */
  | { kind: "ca"; pem: string }
  /** No verification at all: --insecure, for development. The caller warns. */
  | { kind: "insecure" };

export interface Transport {
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
}

export function createTransport(trust: Trust): Transport {
  if (trust.kind === "system") {
    return { fetch: globalThis.fetch.bind(globalThis), WebSocket: globalThis.WebSocket };
  }
  const tls = trust.kind === "ca" ? { ca: trust.pem } : { rejectUnauthorized: false };
  const tlsFetch = ((input: string | URL | Request, init?: RequestInit) =>
    fetch(input, { ...init, tls })) as typeof fetch;
  const options: Bun.WebSocketOptions = { tls };
  class TlsWebSocket extends WebSocket {
    constructor(url: string | URL) {
      // The project types WebSocket from lib.dom, whose constructor knows no options object;
      // Bun's takes { tls } in the protocols position.
      super(url, options as unknown as string[]);
    }
  }
  return { fetch: tlsFetch, WebSocket: TlsWebSocket };
}
