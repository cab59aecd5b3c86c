/**
 * The browser's rendering of a message's Markdown tree (src/protocol/markdown.ts): DOM nodes,
 * text always as text nodes, links only for http, https and mailto, opened with
 * rel="noopener noreferrer". Nothing here assigns HTML.
 */
import { type Block, type Inline, isSafeUrl, parseMarkdown } from "../protocol/index.ts";
import { h } from "./dom.ts";

function inline(n: Inline, me: string): Node {
  switch (n.t) {
    case "text":
      return document.createTextNode(n.text);
    case "break":
      return document.createElement("br");
    case "code":
      return h("code", {}, n.text);
    case "bold":
      return h("strong", {}, ...n.children.map((c) => inline(c, me)));
    case "italic":
      return h("em", {}, ...n.children.map((c) => inline(c, me)));
    case "strike":
      return h("s", {}, ...n.children.map((c) => inline(c, me)));
    case "mention":
      return n.name.toLowerCase() === me.toLowerCase()
        ? h("mark", { class: "mention" }, `@${n.name}`)
        : h("span", { class: "mention-other" }, `@${n.name}`);
    case "link": {
      // Checked again here: the tree could come from anywhere.
      if (!isSafeUrl(n.href)) return document.createTextNode(n.href);
      return h(
        "a",
        { href: n.href, target: "_blank", rel: "noopener noreferrer" },
        ...n.children.map((c) => inline(c, me)),
      );
    }
  }
}

function block(b: Block, me: string): Node {
  switch (b.t) {
    case "para":
      return h("span", { class: "para" }, ...b.children.map((c) => inline(c, me)));
    case "quote":
      return h("blockquote", {}, ...b.children.map((c) => inline(c, me)));
    case "codeblock":
      return h("pre", {}, h("code", {}, b.text));
  }
}

/** A body's nodes for `me` to read; `mentioned` when it @mentions them. */
export function markdownNodes(body: string, me: string): { nodes: Node[]; mentioned: boolean } {
  const tree = parseMarkdown(body);
  const nodes: Node[] = [];
  tree.forEach((b, i) => {
    if (i > 0 && b.t === "para" && tree[i - 1]?.t === "para")
      nodes.push(document.createElement("br"));
    nodes.push(block(b, me));
  });
  const mentioned = nodes.some(
    (n) => n instanceof Element && n.querySelector("mark.mention") !== null,
  );
  return { nodes, mentioned };
}
