import { describe, expect, it } from "bun:test";
import { LineEditor } from "../../src/client/line-editor.ts";

describe("LineEditor", () => {
  it("should delete a whole emoji with one backspace", () => {
    const e = new LineEditor();
    e.insert("hi 👍🏽");
    e.backspace();
    expect(e.text).toBe("hi ");
  });

  it("should insert at the cursor and kill the word before it", () => {
    const e = new LineEditor();
    e.insert("hello world");
    e.home();
    e.insert(">> ");
    expect(e.text).toBe(">> hello world");
    e.end();
    e.killWord();
    expect(e.text).toBe(">> hello ");
  });

  it("should scroll a long line so the cursor stays visible, counting wide characters", () => {
    const e = new LineEditor();
    e.insert("漢".repeat(20));
    const view = e.view(10);
    expect(view.text).toBe("漢".repeat(4));
    expect(view.cursorColumn).toBe(8);
  });
});
