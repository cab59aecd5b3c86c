/**
 * How a chat message looks: local time, the sender's name in their colour, and the body wrapped
 * under itself (a hanging indent). The user's own messages are marked and bold, so they stand
 * apart from everyone else's.
 */

import { escapeControls } from "../client-core/display-text.ts";
import { formatBytes } from "../client-core/file-transfer.ts";
import type { Message } from "../protocol/index.ts";
import { markdownAnsi } from "./markdown-ansi.ts";
import type { Style } from "./style.ts";
import { sanitize, width, wrap } from "./text-layout.ts";

export interface FormatOptions {
  /** Columns available; lines are never wider. */
  columns: number;
  style: Style;
  /** The user's own id. */
  me: number | undefined;
  /** Shown before the name when the message is from elsewhere: "#room", or "@peer" for a DM. */
  roomTag?: string;
  /** The user's own name: their @mentions stand out. */
  meName?: string | undefined;
  /** The body is plain text, not Markdown (a note, a file line). @default false */
  plain?: boolean;
}

/** What a reply shows above its text: who it answers and the start of what they said. */
function replyLine(m: Message, o: FormatOptions): string | undefined {
  const r = m.reply;
  if (!r) return undefined;
  const quote = r.deleted ? "message deleted" : r.excerpt.replace(/\s+/g, " ") || "…";
  const text = `  ↳ ${sanitize(r.from.name)}: ${escapeControls(quote)}`;
  return o.style.dim(text.length > o.columns ? `${text.slice(0, o.columns - 1)}…` : text);
}

/** A message's reactions on one line: "👍 2  🎉 1". */
export function reactionLine(m: Message): string | undefined {
  if (!m.reactions || m.reactions.length === 0) return undefined;
  return m.reactions.map((r) => `${escapeControls(r.emoji)} ${r.count}`).join("  ");
}

/** How a shared file reads in a message: its name, size, and how to fetch it. */
export function fileLine(f: { id: string; name: string; size: number }): string {
  return `[file] ${f.name} (${formatBytes(f.size)}) · /download ${f.id}`;
}

export function formatMessage(m: Message, o: FormatOptions): string[] {
  const own = m.from.id === o.me;
  const tag = o.roomTag ? `${o.roomTag} ` : "";
  const name = sanitize(m.from.name);
  const time = o.style.time(m.ts);
  const mark = own ? o.style.symbols.own : " ".repeat(width(o.style.symbols.own));
  const head = `${time} ${mark} ${tag}${name}: `;
  const indent = Math.min(width(head), Math.floor(o.columns / 2));
  // A multi-line body keeps its lines, each under the first; controls are escaped in each,
  // and Markdown is drawn with styles (markdown-ansi.ts).
  const shown = m.deleted
    ? o.style.dim("message deleted")
    : o.plain
      ? escapeControls(m.body, { keepNewlines: true })
      : markdownAnsi(m.body, o.style, o.meName);
  const lines = wrap(
    m.edited && !m.deleted ? `${shown} ${o.style.dim("(edited)")}` : shown,
    Math.max(10, o.columns - indent),
  );
  const above = replyLine(m, o);
  const reacted = reactionLine(m);
  const below = reacted ? [" ".repeat(indent) + o.style.dim(reacted)] : [];
  return [...(above ? [above] : []), ...bodyLines(m, o, lines, indent, head), ...below];
}

function bodyLines(
  m: Message,
  o: FormatOptions,
  lines: string[],
  indent: number,
  head: string,
): string[] {
  const own = m.from.id === o.me;
  const tag = o.roomTag ? `${o.roomTag} ` : "";
  const name = sanitize(m.from.name);
  const time = o.style.time(m.ts);
  const mark = own ? o.style.symbols.own : " ".repeat(width(o.style.symbols.own));
  const styledHead = `${o.style.dim(time)} ${own ? o.style.cyan(mark) : mark} ${o.style.dim(tag)}${
    own ? o.style.bold(name) : o.style.name(name)
  }: `;
  if (indent < width(head)) {
    // A very long name or tag on a narrow terminal: the body starts on the next line.
    return [
      styledHead.trimEnd(),
      ...lines.map((l) => " ".repeat(indent) + (own ? o.style.bold(l) : l)),
    ];
  }
  return lines.map((line, i) => {
    const body = own ? o.style.bold(line) : line;
    return i === 0 ? styledHead + body : " ".repeat(indent) + body;
  });
}
