import { describe, expect, it } from "bun:test";
import { Completer, candidates } from "../../src/client/completion.ts";
import { InputHistory } from "../../src/client/input-history.ts";
import { LineEditor } from "../../src/client/line-editor.ts";

const sources = {
  commands: ["help", "history", "highlight", "join", "switch"],
  nicks: ["alice", "albert", "bob"],
  conversations: ["#dev", "#design", "@bob"],
};

describe("Tab completion", () => {
  it("should complete commands, nicks (addressed at the start of a line), rooms and emoji", () => {
    expect(candidates("/he", sources).options).toEqual(["/help "]);
    expect(candidates("al", sources).options).toEqual(["alice: ", "albert: "]);
    expect(candidates("hey al", sources).options).toEqual(["alice ", "albert "]);
    expect(candidates("#de", sources).options).toEqual(["#dev ", "#design "]);
    expect(candidates("/switch @b", sources).options).toEqual(["@bob "]);
    expect(candidates("yay :ta", sources).options).toEqual(["🎉"]);
  });

  it("should cycle through the candidates on repeated Tab", () => {
    const e = new LineEditor();
    const c = new Completer();
    e.insert("hey al");
    for (const expected of ["hey alice ", "hey albert ", "hey alice "]) {
      const found = c.next(e.beforeCursor, sources);
      if (!found) throw new Error("nothing completed");
      e.replaceBeforeCursor([...found.replace].length, found.with);
      expect(e.text).toBe(expected);
    }
  });
});

describe("InputHistory", () => {
  it("should walk back and forth, and give back the draft past the newest", () => {
    const h = new InputHistory(["one"]);
    h.add("two");
    expect(h.previous("draft")).toBe("two");
    expect(h.previous("two")).toBe("one");
    expect(h.previous("one")).toBeUndefined();
    expect(h.next()).toBe("two");
    expect(h.next()).toBe("draft");
    expect(h.next()).toBeUndefined();
  });
});

describe("LineEditor kill ring and words", () => {
  it("should cut to the end with Ctrl-K, put it back with Ctrl-Y, and move by words", () => {
    const e = new LineEditor();
    e.insert("one two three");
    e.wordLeft();
    e.killToEnd();
    expect(e.text).toBe("one two ");
    e.home();
    e.yank();
    expect(e.text).toBe("threeone two ");
    e.home();
    e.wordRight();
    e.insert("!");
    expect(e.text).toBe("threeone! two ");
  });
});
