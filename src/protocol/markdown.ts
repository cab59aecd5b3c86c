/**
 * A small, safe Markdown subset, parsed once into a tree that each client renders its own way
 * (DOM nodes in the browser, ANSI in the terminal); no renderer ever builds HTML from it.
 *
 * Blocks: paragraphs (lines kept), ``` fenced code, "> " quotes. Inline: **bold**, *italic* or
 * _italic_, ~~strike~~, `code`, [text](url), bare http(s):// and mailto: links, @mentions.
 * Only http, https and mailto links become links; any other scheme stays text. Nesting is
 * bounded (depth 4), and each delimiter is looked for with one forward search.
 */
import { startsWord } from "./mention.ts";

export type Inline =
  | { t: "text"; text: string }
  | { t: "bold" | "italic" | "strike"; children: Inline[] }
  | { t: "code"; text: string }
  | { t: "link"; href: string; children: Inline[] }
  | { t: "mention"; name: string }
  | { t: "break" };

export type Block =
  | { t: "para"; children: Inline[] }
  | { t: "codeblock"; text: string }
  | { t: "quote"; children: Inline[] };

const MAX_DEPTH = 4;
const SAFE_SCHEME = /^(https?:\/\/|mailto:)/i;
/** A bare link: up to white space; trailing punctuation is left out, as people write it. */
const BARE_LINK = /^(?:https?:\/\/|mailto:)[^\s<>"]+/i;
const MENTION = /^@([A-Za-z0-9_-]{3,32})/;

/** True for a URL a client may open: http, https or mailto, with no control or space in it. */
export function isSafeUrl(url: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point.
  return SAFE_SCHEME.test(url) && !/[\s\x00-\x1f\x7f]/.test(url);
}

export function parseMarkdown(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  let para: string[] = [];
  const flush = () => {
    if (para.length > 0) blocks.push({ t: "para", children: inlineLines(para) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trimStart().startsWith("```")) {
      const end = lines.findIndex((l, j) => j > i && l.trimStart().startsWith("```"));
      if (end !== -1) {
        flush();
        blocks.push({ t: "codeblock", text: lines.slice(i + 1, end).join("\n") });
        i = end;
        continue;
      }
    }
    if (line.startsWith(">")) {
      flush();
      const quoted: string[] = [];
      while (i < lines.length && (lines[i] as string).startsWith(">")) {
        quoted.push((lines[i] as string).replace(/^> ?/, ""));
        i++;
      }
      i--;
      blocks.push({ t: "quote", children: inlineLines(quoted) });
      continue;
    }
    para.push(line);
  }
  flush();
  return blocks;
}

function inlineLines(lines: string[]): Inline[] {
  const out: Inline[] = [];
  lines.forEach((l, i) => {
    if (i > 0) out.push({ t: "break" });
    out.push(...parseInline(l, 0));
  });
  return out;
}

const EMPHASIS: [string, "bold" | "italic" | "strike"][] = [
  ["**", "bold"],
  ["~~", "strike"],
  ["*", "italic"],
  ["_", "italic"],
];

/** Inline content of one line. */
export function parseInline(text: string, depth: number): Inline[] {
  const out: Inline[] = [];
  let plain = "";
  const push = (node: Inline) => {
    if (plain) out.push({ t: "text", text: plain });
    plain = "";
    out.push(node);
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const c = text[i] as string;
    const wordStart = startsWord(text, i);
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) {
        push({ t: "code", text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if (c === "[" && depth < MAX_DEPTH) {
      const m = /^\[([^\]\n]{1,500})\]\(([^)\s]{1,2000})\)/.exec(rest);
      if (m && isSafeUrl(m[2] as string)) {
        push({ t: "link", href: m[2] as string, children: parseInline(m[1] as string, depth + 1) });
        i += m[0].length;
        continue;
      }
    }
    if ((c === "h" || c === "H" || c === "m" || c === "M") && wordStart) {
      const m = BARE_LINK.exec(rest);
      if (m) {
        const href = m[0].replace(/[.,;:!?)\]'"]+$/, "");
        if (isSafeUrl(href) && href.length > 8) {
          push({ t: "link", href, children: [{ t: "text", text: href }] });
          i += href.length;
          continue;
        }
      }
    }
    if (c === "@" && wordStart) {
      const m = MENTION.exec(rest);
      if (m) {
        push({ t: "mention", name: m[1] as string });
        i += m[0].length;
        continue;
      }
    }
    if (depth < MAX_DEPTH && (c === "*" || c === "_" || c === "~")) {
      const found = EMPHASIS.find(([d]) => rest.startsWith(d));
      if (found && (c !== "_" || wordStart)) {
        const [d, t] = found;
        const end = text.indexOf(d, i + d.length);
        const inner = end === -1 ? "" : text.slice(i + d.length, end);
        if (inner.trim() !== "" && inner === inner.trim()) {
          push({ t, children: parseInline(inner, depth + 1) });
          i = end + d.length;
          continue;
        }
      }
    }
    plain += c;
    i++;
  }
  if (plain) out.push({ t: "text", text: plain });
  return out;
}

/** The @names a text mentions (outside code), each once, as written. */
export function mentionedNames(blocks: readonly Block[]): string[] {
  const names = new Set<string>();
  const walk = (nodes: readonly Inline[]) => {
    for (const n of nodes) {
      if (n.t === "mention") names.add(n.name);
      else if ("children" in n) walk(n.children);
    }
  };
  for (const b of blocks) if (b.t !== "codeblock") walk(b.children);
  return [...names];
}

/** The text a tree shows, without any markup (for previews and notifications). */
export function plainText(blocks: readonly Block[]): string {
  const inline = (nodes: readonly Inline[]): string =>
    nodes
      .map((n) => {
        switch (n.t) {
          case "text":
          case "code":
            return n.text;
          case "mention":
            return `@${n.name}`;
          case "break":
            return "\n";
          default:
            return inline(n.children);
        }
      })
      .join("");
  return blocks.map((b) => (b.t === "codeblock" ? b.text : inline(b.children))).join("\n");
}
