import { describe, expect, it } from "bun:test";
import {
  type Inline,
  isSafeUrl,
  mentionedNames,
  mentionsName,
  parseMarkdown,
  plainText,
} from "../src/protocol/index.ts";

const para = (text: string) => {
  const [b] = parseMarkdown(text);
  if (b?.t !== "para") throw new Error(`not a paragraph: ${JSON.stringify(b)}`);
  return b.children;
};

/** Every link href anywhere in a tree. */
function hrefs(nodes: readonly Inline[]): string[] {
  return nodes.flatMap((n) =>
    n.t === "link" ? [n.href, ...hrefs(n.children)] : "children" in n ? hrefs(n.children) : [],
  );
}

describe("the Markdown subset", () => {
  it("parses bold, italic, strikethrough and inline code", () => {
    expect(para("a **b** *c* _d_ ~~e~~ `f*g*`")).toEqual([
      { t: "text", text: "a " },
      { t: "bold", children: [{ t: "text", text: "b" }] },
      { t: "text", text: " " },
      { t: "italic", children: [{ t: "text", text: "c" }] },
      { t: "text", text: " " },
      { t: "italic", children: [{ t: "text", text: "d" }] },
      { t: "text", text: " " },
      { t: "strike", children: [{ t: "text", text: "e" }] },
      { t: "text", text: " " },
      { t: "code", text: "f*g*" },
    ]);
  });

  it("keeps snake_case words and lone stars as text", () => {
    expect(plainText(parseMarkdown("snake_case_name and 2 * 3 * 4"))).toBe(
      "snake_case_name and 2 * 3 * 4",
    );
  });

  it("parses code blocks and quotes", () => {
    expect(parseMarkdown("> quoted **x**\n> more\n```\nconst a = `<b>`;\n```\nafter")).toEqual([
      {
        t: "quote",
        children: [
          { t: "text", text: "quoted " },
          { t: "bold", children: [{ t: "text", text: "x" }] },
          { t: "break" },
          { t: "text", text: "more" },
        ],
      },
      { t: "codeblock", text: "const a = `<b>`;" },
      { t: "para", children: [{ t: "text", text: "after" }] },
    ]);
  });

  it("makes http, https and mailto links, leaving trailing punctuation out", () => {
    expect(
      hrefs(para("see https://example.com/a?b=1, or mailto:x@y.org. [docs](http://d.example/x)")),
    ).toEqual(["https://example.com/a?b=1", "mailto:x@y.org", "http://d.example/x"]);
  });

  it("parses @mentions outside code", () => {
    expect(mentionedNames(parseMarkdown("hi @alice and @bob_2, not `@carol` nor me@mail"))).toEqual(
      ["alice", "bob_2"],
    );
  });

  it("mentions a name only as a whole @name, as the parser finds mentions (one rule)", () => {
    const cases: [string, boolean][] = [
      ["hi @alice", true],
      ["@ALICE: look", true],
      ["(@alice)", true],
      ["thanks,@alice.", true],
      ["@alice.com is a mention followed by text", true],
      ["@al is not her", false],
      ["@alicex", false],
      ["@alice-bot", false],
      ["@alice_2", false],
      ["write to foo@alice.com", false],
      ["alice without the at", false],
    ];
    for (const [text, expected] of cases) {
      expect([text, mentionsName(text, "alice")]).toEqual([text, expected]);
      const parsed = mentionedNames(parseMarkdown(text)).some((n) => n.toLowerCase() === "alice");
      expect([text, parsed]).toEqual([text, expected]);
    }
    expect(mentionsName("@al is here", "al")).toBe(true);
    expect(mentionsName("@alice is here", "al")).toBe(false);
  });

  describe("an XSS corpus stays text", () => {
    const corpus = [
      "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
      "[click](javascript:alert(1))",
      "[click](JaVaScRiPt:alert(1))",
      "[x](data:text/html;base64,PHNjcmlwdD4=)",
      "[x](vbscript:msgbox(1))",
      "javascript:alert(1)",
      "[x](https://ok.example\u0000javascript:alert(1))",
      '**<a href="javascript:alert(1)">x</a>**',
      "`</code><script>alert(1)</script>`",
      "```\n<iframe src=javascript:alert(1)>\n```",
      "[a](http://x.example\tjavascript:1)",
      "&lt;script&gt;",
    ];
    for (const input of corpus) {
      it(`keeps ${JSON.stringify(input)} as text, with no unsafe link`, () => {
        const tree = parseMarkdown(input);
        const links = tree.flatMap((b) => (b.t === "codeblock" ? [] : hrefs(b.children)));
        expect(links.every(isSafeUrl)).toBe(true);
        expect(links.some((h) => /script|data:/i.test(h))).toBe(false);
        // Whatever markup there is, every character of the input that is not markup survives.
        for (const ch of "<>\"'&") {
          if (input.includes(ch))
            expect(JSON.stringify(tree)).toContain(JSON.stringify(ch).slice(1, -1));
        }
      });
    }
  });

  it("bounds nesting, and parses a long hostile line", () => {
    const deep = `${"**_~~".repeat(50)}x${"~~_**".repeat(50)}`;
    expect(() => parseMarkdown(deep)).not.toThrow();
    const long = "*a ".repeat(2000) + "_`[".repeat(1000);
    expect(plainText(parseMarkdown(long)).length).toBeGreaterThan(1000);
  });
});
