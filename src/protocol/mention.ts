/**
 * What counts as mentioning someone, one rule for the server's mention counts and both
 * clients' highlights: `@name` in any case, where the `@` starts a word (not after a letter,
 * digit or `_`, so `foo@alice.com` is no mention) and the name ends there (no name character
 * follows, so `@al` is not found inside `@alice`). The Markdown parser's mention nodes follow
 * the same rule (markdown.ts). The stores count in SQL with the ASCII form of the same rule
 * (MENTION_SQL_WORD below); they differ only for a non-ASCII letter right before the `@`.
 */

/** Characters a user name is made of (rules.ts USERNAME_PATTERN). */
export const NAME_CHARS = "A-Za-z0-9_-";

/** Characters that, right before an `@`, make it part of a word (an address) instead. */
const WORD_BEFORE = /[\p{L}\p{N}_]/u;

/** Characters the stores' SQL treats as word characters before the `@` (lower case). */
export const MENTION_SQL_WORD = "a-z0-9_";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True when `text` @mentions `name` (any case), by the rule above. */
export function mentionsName(text: string, name: string | undefined): boolean {
  if (!name) return false;
  const pattern = new RegExp(`@${escapeRegExp(name)}(?![${NAME_CHARS}])`, "giu");
  for (const m of text.matchAll(pattern)) {
    const at = m.index ?? 0;
    if (at === 0 || !WORD_BEFORE.test(text[at - 1] as string)) return true;
  }
  return false;
}

/** True when the character before position `i` lets a mention (or a bare link) start there. */
export function startsWord(text: string, i: number): boolean {
  return i === 0 || !WORD_BEFORE.test(text[i - 1] as string);
}
