/**
 * Message search over HTTP (`GET /api/search`), for both clients: public rooms only, since the
 * server cannot read DMs (docs/protocol.md section 3).
 */
import type { SearchHit } from "../protocol/index.ts";
import { RequestError } from "./request-error.ts";

export interface SearchPage {
  results: SearchHit[];
  next?: string;
}

export interface SearchOptions {
  server: () => string;
  token: string;
  fetch?: typeof fetch;
}

export type Searcher = (q: string, o?: { room?: number; before?: string }) => Promise<SearchPage>;

export function searcher(o: SearchOptions): Searcher {
  const fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
  return async (q, { room, before } = {}) => {
    const params = new URLSearchParams({ q });
    if (room !== undefined) params.set("room", String(room));
    if (before !== undefined) params.set("before", before);
    let res: Response;
    try {
      res = await fetchFn(new URL(`/api/search?${params}`, o.server()), {
        headers: { authorization: `Bearer ${o.token}` },
      });
    } catch (err) {
      throw new RequestError(
        "OFFLINE",
        `The server cannot be reached (${(err as Error).message}).`,
      );
    }
    const body = (await res.json().catch(() => ({}))) as SearchPage & {
      code?: string;
      message?: string;
    };
    if (!res.ok) {
      throw new RequestError(
        body.code ?? "INTERNAL",
        body.message ?? `The server answered ${res.status}.`,
      );
    }
    return body;
  };
}
