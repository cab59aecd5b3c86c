import { describe, expect, it } from "bun:test";
import { KeyReader, parseKeys } from "../../src/client/keys.ts";

describe("parseKeys", () => {
  it("should split typed text, arrows and Enter in one chunk", () => {
    expect(parseKeys("ab\x1b[Dc\r")).toEqual([
      { kind: "text", text: "ab" },
      { kind: "left" },
      { kind: "text", text: "c" },
      { kind: "enter" },
    ]);
  });

  it("should drop unknown escape sequences and control characters whole", () => {
    expect(parseKeys("\x1b[24;5~x\x1bq\x07y")).toEqual([
      { kind: "text", text: "x" },
      { kind: "text", text: "y" },
    ]);
  });

  it("should read a bracketed paste cut across chunks as one paste key, Enter inside it included", () => {
    const reader = new KeyReader();
    const keys = [
      ...reader.feed("a\x1b[200~/quit\rsec"),
      ...reader.feed("ond\x1b[20"),
      ...reader.feed("1~\r"),
    ];
    expect(keys).toEqual([
      { kind: "text", text: "a" },
      { kind: "paste", text: "/quit\rsecond" },
      { kind: "enter" },
    ]);
  });

  it("should read lines arriving in one chunk without paste brackets as a paste, not as Enter", () => {
    expect(parseKeys("one\r/quit\rtwo\r")).toEqual([{ kind: "paste", text: "one\r/quit\rtwo" }]);
    expect(parseKeys("typed\r")).toEqual([{ kind: "text", text: "typed" }, { kind: "enter" }]);
  });

  it("should read Alt-digits, Alt-arrows and Ctrl-N as buffer keys, Alt-Enter as a newline", () => {
    expect(parseKeys("\x1b2\x1b[1;3D\x0e\x1b\r\x1b[5~\t")).toEqual([
      { kind: "buffer", index: 1 },
      { kind: "previous-buffer" },
      { kind: "next-buffer" },
      { kind: "newline" },
      { kind: "page-up" },
      { kind: "tab" },
    ]);
  });

  it("should read Ctrl-C as interrupt and the Delete key as delete", () => {
    expect(parseKeys("\x03\x1b[3~")).toEqual([{ kind: "interrupt" }, { kind: "delete" }]);
  });
});
