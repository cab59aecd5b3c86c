/**
 * Highlights: a message mentions you when it holds your name (with or without "@") or one of
 * your highlight words as a whole word, in any case. Such a message is shown highlighted, rings
 * the bell (unless turned off) and is counted apart in the activity bar.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function mentions(body: string, me: string | undefined, words: readonly string[]): boolean {
  const all = [me, ...words].filter((w): w is string => !!w && w.trim() !== "");
  if (all.length === 0) return false;
  const pattern = new RegExp(
    `(^|[^\\p{L}\\p{N}_])@?(${all.map(escapeRegExp).join("|")})(?![\\p{L}\\p{N}_])`,
    "iu",
  );
  return pattern.test(body);
}
