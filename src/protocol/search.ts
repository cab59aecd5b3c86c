/** Message search: the rules of a query and the shape of a hit, shared by server and clients. */
import { z } from "zod";

/** Longest query, in UTF-16 units (after trimming). */
export const SEARCH_QUERY_MAX = 200;
export const SEARCH_PAGE_DEFAULT = 20;
export const SEARCH_PAGE_MAX = 50;
/** Words of a query used; the rest are ignored (each one is an index lookup). */
export const SEARCH_TERMS_MAX = 8;

export const searchHit = z.object({
  room: z.int(),
  seq: z.int(),
  ts: z.int(),
  from: z.object({ id: z.int(), name: z.string() }),
  /** Plain text around the match: clients escape it like any message text. */
  snippet: z.string(),
});
export type SearchHit = z.infer<typeof searchHit>;

/**
 * The words of a query, as the stores match them (each as a prefix, all required): letters and
 * digits only, so no query syntax of either backend can be injected through them.
 */
export function searchTerms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, SEARCH_TERMS_MAX);
}
