/**
 * Message search: `GET /api/search?q=TEXT&room=ID&before=CURSOR&limit=N` over the public rooms
 * the caller is a member of, newest first. The stores keep their full-text index in step with
 * edits and deletions in the same transaction (migration 007). DMs are end-to-end encrypted:
 * the server holds only ciphertext, so it cannot search them.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Store } from "../../db/store.ts";
import {
  ParleyError,
  SEARCH_PAGE_DEFAULT,
  SEARCH_PAGE_MAX,
  SEARCH_QUERY_MAX,
  type SearchHit,
  searchTerms,
  type UserRef,
} from "../protocol/index.ts";
import type { Session } from "./auth.ts";
import { inScope } from "./bot-scope.ts";

export interface SearchRequest {
  q: string;
  room?: number | undefined;
  /** The `next` of the page before. */
  before?: string | undefined;
  limit?: number | undefined;
}

export interface SearchPage {
  results: SearchHit[];
  /** More results: ask again with `before` set to this. */
  next?: string;
}

/** A page's last hit, as the opaque cursor the next page starts after: "ts.room.seq". */
function cursor(hit: SearchHit): string {
  return `${hit.ts}.${hit.room}.${hit.seq}`;
}

function parseCursor(text: string): { ts: number; room: number; seq: number } {
  const m = /^(\d{1,16})\.(\d{1,16})\.(\d{1,16})$/.exec(text);
  if (!m) throw new ParleyError("INVALID", "before: not a cursor from a search page");
  return { ts: Number(m[1]), room: Number(m[2]), seq: Number(m[3]) };
}

export class MessageSearch {
  constructor(private readonly store: Store) {}

  async find(user: UserRef, req: SearchRequest): Promise<SearchPage> {
    const text = req.q.trim();
    if (text.length === 0 || text.length > SEARCH_QUERY_MAX)
      throw new ParleyError("INVALID_SEARCH");
    const terms = searchTerms(text);
    // Only punctuation: nothing any message could match.
    if (terms.length === 0) return { results: [] };
    if (req.room !== undefined && !(await this.store.isMember(req.room, user.id))) {
      const room = await this.store.findRoom(req.room);
      throw new ParleyError(room?.kind === "room" ? "NOT_MEMBER" : "ROOM_NOT_FOUND");
    }
    const limit = req.limit ?? SEARCH_PAGE_DEFAULT;
    const hits = await this.store.search(user.id, {
      terms,
      room: req.room,
      before: req.before === undefined ? undefined : parseCursor(req.before),
      limit: limit + 1,
    });
    const more = hits.length > limit;
    if (more) hits.pop();
    const last = hits.at(-1);
    return more && last ? { results: hits, next: cursor(last) } : { results: hits };
  }
}

const searchQuery = z.object({
  q: z.string().max(SEARCH_QUERY_MAX * 4),
  room: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  before: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(SEARCH_PAGE_MAX).optional(),
});

/** The route, mounted by http.ts behind its session check. */
export function searchRoutes(search: MessageSearch): Hono<{ Variables: { session: Session } }> {
  const app = new Hono<{ Variables: { session: Session } }>();
  app.get("/api/search", async (c) => {
    const parsed = searchQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const code = issue?.path[0] === "q" ? "INVALID_SEARCH" : "INVALID";
      throw new ParleyError(
        code,
        code === "INVALID" ? `${issue?.path.join(".")}: ${issue?.message}` : undefined,
      );
    }
    const session = c.get("session");
    const page = await search.find(session.user, parsed.data);
    // A bot token sees only its own rooms.
    return c.json({ ...page, results: page.results.filter((h) => inScope(session, h.room)) });
  });
  return app;
}
