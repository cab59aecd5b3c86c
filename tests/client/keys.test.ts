import { describe, expect, it } from "bun:test";
import { parseKeys } from "../../src/client/keys.ts";

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
    expect(parseKeys("\x1b[1;5Ax\x1b[200~\x07y")).toEqual([
      { kind: "text", text: "x" },
      { kind: "text", text: "y" },
    ]);
  });

  it("should read Ctrl-C as interrupt and the Delete key as delete", () => {
    expect(parseKeys("\x03\x1b[3~")).toEqual([{ kind: "interrupt" }, { kind: "delete" }]);
  });
});
