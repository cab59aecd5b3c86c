/**
 * Text from other people, made safe to show: C0 and C1 controls and ESC become visible marks
 * (so a body cannot move the cursor, retitle the terminal or forge a line), and bidirectional
 * overrides and isolates become a visible "[U+202E]" (so "‮gnp.exe" cannot pass for "exe.png").
 * Shared by both clients: it uses nothing but the language, so it runs in browsers as is.
 */

/** Bidi embeddings, overrides, isolates and marks: invisible, and able to reorder what follows. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function codePoint(c: string): string {
  return `[U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}]`;
}

/** A name (user, room, file) with its bidi controls shown as "[U+202E]"; for either client. */
export function safeName(name: string): string {
  return name.replace(BIDI, codePoint);
}

/**
 * For a terminal: every control shown as a mark, bidi controls as "[U+…]". A tab becomes two
 * spaces; a newline becomes "␊" unless `keepNewlines` (multi-line bodies are split first).
 */
export function escapeControls(text: string, { keepNewlines = false } = {}): string {
  return safeName(text)
    .replace(/\t/g, "  ")
    .replace(
      keepNewlines
        ? // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
          /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g
        : // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
          /[\x00-\x1f\x7f-\x9f]/g,
      (c) => {
        const code = c.charCodeAt(0);
        if (code < 0x20) return String.fromCharCode(0x2400 + code);
        return code === 0x7f ? "\u2421" : codePoint(c);
      },
    );
}
