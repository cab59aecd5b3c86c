/**
 * What SQLite's full-text search needs beside its SQL: the MATCH expression of a query's terms,
 * and a hit as the store returns it, with its snippet cut from the message's text. The index
 * keeps no copy of the text (migration 011), so FTS5's snippet() has nothing to cut from; this
 * one does what it did: up to 16 words around the first word a term begins, "…" where cut.
 */
import type { SearchHit } from "../src/protocol/index.ts";

const WORDS = 16;
/** A word as FTS5's unicode61 tokenizer sees one: letters and digits. */
const WORD = /[\p{L}\p{N}]+/gu;

/** Lower case without diacritics, as the index compares (remove_diacritics 2). */
function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

export function snippet(body: string, terms: readonly string[]): string {
  const words = [...body.matchAll(WORD)];
  if (words.length <= WORDS) return body;
  const wanted = terms.map(fold);
  let hit = words.findIndex((w) => {
    const word = fold(w[0]);
    return wanted.some((t) => word.startsWith(t));
  });
  if (hit < 0) hit = 0;
  const start = Math.max(0, Math.min(hit - 2, words.length - WORDS));
  const end = start + WORDS;
  const first = words[start] as RegExpExecArray;
  const last = words[end - 1] as RegExpExecArray;
  const from = start === 0 ? 0 : first.index;
  const to = end >= words.length ? body.length : last.index + last[0].length;
  return `${start > 0 ? "…" : ""}${body.slice(from, to)}${end < words.length ? "…" : ""}`;
}

/** Each term quoted (so it is only a word) and matched as a prefix; all are required. */
export function ftsMatch(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replaceAll('"', '""')}"*`).join(" ");
}

export interface SearchRow {
  room: number;
  seq: number;
  ts: number;
  sender: number;
  name: string;
  body: string;
}

export function toHit(row: SearchRow, terms: readonly string[]): SearchHit {
  const { sender, name, body, ...hit } = row;
  return { ...hit, snippet: snippet(body, terms), from: { id: sender, name } };
}
