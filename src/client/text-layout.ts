/**
 * Measuring and wrapping text by terminal columns, not UTF-16 units: an emoji or a CJK character
 * takes two columns, a combining accent none. Bun.stringWidth does the measuring.
 */

import { escapeControls } from "../client-core/display-text.ts";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

export function width(text: string): number {
  return Bun.stringWidth(text);
}

/** Control characters would move the cursor or recolour the screen: show them as visible marks. */
export function sanitize(text: string): string {
  return escapeControls(text);
}

/**
 * Splits text into lines at most `columns` wide, breaking at spaces where it can and inside a
 * word only when the word alone is wider than a line. Newlines in the text are kept.
 */
export function wrap(text: string, columns: number): string[] {
  const limit = Math.max(1, columns);
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    let lineWidth = 0;
    for (const word of paragraph.split(/(?<= )/)) {
      const w = width(word);
      if (lineWidth + w <= limit) {
        line += word;
        lineWidth += w;
        continue;
      }
      if (line.trimEnd() !== "") {
        out.push(line.trimEnd());
        line = "";
        lineWidth = 0;
      }
      for (const g of graphemes(word)) {
        const gw = width(g);
        if (lineWidth + gw > limit && line !== "") {
          out.push(line.trimEnd());
          line = "";
          lineWidth = 0;
        }
        if (line === "" && g === " ") continue;
        line += g;
        lineWidth += gw;
      }
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** Cuts text to at most `columns`, marking the cut with an ellipsis. */
export function truncate(text: string, columns: number): string {
  if (width(text) <= columns) return text;
  let out = "";
  let used = 0;
  for (const g of graphemes(text)) {
    const w = width(g);
    if (used + w > columns - 1) break;
    out += g;
    used += w;
  }
  return `${out}…`;
}
