/**
 * The terminal's rendering of a message's Markdown tree (src/protocol/markdown.ts): ANSI styles
 * around text that is escaped first (display-text.ts), so nothing a sender types can reach the
 * terminal as a control. Links show their text underlined and, when it differs, the URL after.
 */

import { escapeControls } from "../client-core/display-text.ts";
import { type Block, type Inline, parseMarkdown } from "../protocol/index.ts";
import type { Style } from "./style.ts";

function inline(nodes: readonly Inline[], style: Style, me: string | undefined): string {
  return nodes.map((n) => node(n, style, me)).join("");
}

function node(n: Inline, style: Style, me: string | undefined): string {
  switch (n.t) {
    case "text":
      return escapeControls(n.text);
    case "break":
      return "\n";
    case "code":
      return style.cyan(escapeControls(n.text));
    case "bold":
      return style.bold(inline(n.children, style, me));
    case "italic":
      return style.italic(inline(n.children, style, me));
    case "strike":
      return style.strike(inline(n.children, style, me));
    case "mention": {
      const text = `@${escapeControls(n.name)}`;
      return n.name.toLowerCase() === me?.toLowerCase()
        ? style.yellow(style.bold(text))
        : style.bold(text);
    }
    case "link": {
      const text = inline(n.children, style, me);
      const href = escapeControls(n.href);
      const plain =
        n.children.length === 1 && n.children[0]?.t === "text" && n.children[0].text === n.href;
      return plain ? style.underline(href) : `${style.underline(text)} ${style.dim(`<${href}>`)}`;
    }
  }
}

function block(b: Block, style: Style, me: string | undefined): string {
  switch (b.t) {
    case "para":
      return inline(b.children, style, me);
    case "quote":
      return inline(b.children, style, me)
        .split("\n")
        .map((l) => `${style.dim("▎")} ${l}`)
        .join("\n");
    case "codeblock":
      return escapeControls(b.text, { keepNewlines: true })
        .split("\n")
        .map((l) => `${style.dim("│")} ${style.cyan(l)}`)
        .join("\n");
  }
}

/** A message body as styled terminal text (lines separated by "\n"), for `me` to read. */
export function markdownAnsi(text: string, style: Style, me?: string): string {
  return parseMarkdown(text)
    .map((b) => block(b, style, me))
    .join("\n");
}
