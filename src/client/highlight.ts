/**
 * Highlights: a message mentions you when it @mentions your name (the rule both clients and the
 * server's counts share, src/protocol/mention.ts) or holds one of your highlight words as a
 * whole word, in any case. Such a message is shown highlighted, rings the bell (unless turned
 * off) and is counted apart in the activity bar.
 */
import { mentionsName } from "../protocol/index.ts";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function mentions(body: string, me: string | undefined, words: readonly string[]): boolean {
  if (mentionsName(body, me)) return true;
  const all = words.filter((w) => w.trim() !== "");
  if (all.length === 0) return false;
  const pattern = new RegExp(
    `(^|[^\\p{L}\\p{N}_])(${all.map(escapeRegExp).join("|")})(?![\\p{L}\\p{N}_])`,
    "iu",
  );
  return pattern.test(body);
}
