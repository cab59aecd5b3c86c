import { describe, expect, it } from "bun:test";
import { sanitize, truncate, width, wrap } from "../../src/client/text-layout.ts";
import { escapeControls, safeName } from "../../src/client-core/display-text.ts";

describe("wrap", () => {
  it("should break at spaces so no line is wider than the columns", () => {
    expect(wrap("the quick brown fox jumps", 10)).toEqual(["the quick", "brown fox", "jumps"]);
  });

  it("should count emoji and CJK characters as two columns", () => {
    const lines = wrap("🎉🎉🎉 漢字漢字", 6);
    for (const line of lines) expect(width(line)).toBeLessThanOrEqual(6);
    expect(lines.join("")).toBe("🎉🎉🎉漢字漢字");
  });

  it("should split a word longer than a line without splitting a character", () => {
    expect(wrap("👨‍👩‍👧abcdef", 4)).toEqual(["👨‍👩‍👧ab", "cdef"]);
  });
});

describe("sanitize and truncate", () => {
  it("should make escape codes in a message visible instead of obeying them", () => {
    expect(sanitize("a\x1b[2Jb")).toBe("a␛[2Jb");
  });

  it("should cut to the columns with an ellipsis", () => {
    expect(truncate("abcdefgh", 5)).toBe("abcd…");
    expect(truncate("abc", 5)).toBe("abc");
  });
});

describe("text from others on a terminal", () => {
  it("should show bidi overrides, C1 controls and ESC visibly, in names and bodies", () => {
    expect(safeName("\u202egnp.exe")).toBe("[U+202E]gnp.exe");
    expect(sanitize("a\u009b2Jb\u2066c")).toBe("a[U+009B]2Jb[U+2066]c");
    expect(escapeControls("one\ntwo\x1b]0;t\x07", { keepNewlines: true })).toBe("one\ntwo␛]0;t␇");
    expect(sanitize("one\ntwo")).toBe("one␊two");
  });
});
