/**
 * The awkward values the generator draws from: Unicode that breaks naive code, numbers that
 * break naive parsers, and JSON tokens that look like numbers but are not. Raw JSON tokens are
 * kept as text, because JSON.stringify cannot write 1e400 or -0 or a duplicate key.
 */
import type { Random } from "./random.ts";

/** Characters chosen to trip up length counting, rendering, storage and comparison. */
export const AWKWARD_CHARS: readonly string[] = [
  "\u202e", // right-to-left override
  "\u202d",
  "\u2066",
  "\u200b", // zero-width space
  "\u200d", // zero-width joiner
  "\ufeff", // byte order mark / zero-width no-break space
  "\u0301", // combining acute accent
  "\u0336",
  "\u20dd",
  "\u{1f600}", // astral: a surrogate pair in UTF-16
  "\u{1f469}\u200d\u{1f4bb}",
  "\u{10ffff}",
  "\u{1d573}",
  "\u0000", // NUL
  "\u0007",
  "\u001b[31m", // a terminal escape
  "\r\n",
  "\u2028", // line separator (invalid in old JS string literals)
  "\u2029",
  "\ufffd",
  "\ufffe",
  "\u00ad",
  "\u0130", // dotted capital I: case folding changes its length
  "\u00df",
  "\u03a3",
  "\u1e9e",
  "\ud800", // lone high surrogate
  "\udfff", // lone low surrogate
  "\udc00\ud800", // surrogates in the wrong order
  "\\",
  '"',
  "\t",
  "%00",
  "'; DROP TABLE messages; --",
  "__proto__",
  "<script>",
];

/** Raw JSON number-ish tokens, written into frame text where a number belongs. */
export const NUMBER_TOKENS: readonly string[] = [
  "0",
  "-0",
  "1",
  "-1",
  "1.0",
  "1.5",
  "1e0",
  "1E2",
  "1e400",
  "-1e400",
  "1e-400",
  "9007199254740991",
  "9007199254740992",
  "9007199254740993",
  "18446744073709551616",
  "123456789012345678901234567890",
  "0.1e1",
  "2147483648",
  "4294967296",
  '"1"',
  '"0x1"',
  '"1e400"',
  '"NaN"',
  '"Infinity"',
  '"-0"',
  "NaN",
  "Infinity",
  "-Infinity",
  "0x1",
  "01",
  "+1",
  ".5",
  "1.",
  "true",
  "false",
  "null",
  "[]",
  "{}",
  "[1]",
  '{"$gt":0}',
];

/** A string built from awkward characters and plain text, of about `length` code points. */
export function awkwardText(rng: Random, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    out += rng.chance(0.4) ? rng.pick(AWKWARD_CHARS) : String.fromCharCode(rng.int(0x20, 0x7e));
  }
  return out;
}

/** Arbitrary UTF-16 code units, lone surrogates and controls included. */
export function randomUnits(rng: Random, length: number): string {
  const units = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    units[i] = rng.weighted([
      [5, rng.int(0x20, 0x7e)],
      [1, rng.int(0, 0x1f)],
      [2, rng.int(0x80, 0xffff)],
      [1, rng.int(0xd800, 0xdfff)],
    ]);
  }
  return String.fromCharCode(...units);
}

/** Nested arrays or objects `depth` levels deep, as JSON text. */
export function deepJson(rng: Random, depth: number): string {
  if (rng.chance(0.5)) return `${"[".repeat(depth)}${"]".repeat(depth)}`;
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}
