import { describe, expect, it } from "bun:test";
import {
  TypingIndicator,
  TypingSender,
  typingText,
} from "../../src/client-core/typing-indicator.ts";

const bob = { id: 2, name: "bob" };
const carol = { id: 3, name: "carol" };

describe("TypingIndicator", () => {
  it("should show a typing user for 6 s, then forget them", () => {
    const t = new TypingIndicator();
    t.typing(1, bob, 1000);
    expect(t.who(1, 6999)).toEqual(["bob"]);
    expect(t.nextExpiry()).toBe(7000);
    expect(t.who(1, 7000)).toEqual([]);
    expect(t.nextExpiry()).toBeUndefined();
  });

  it("should stop showing a user as soon as their message arrives, and keep rooms apart", () => {
    const t = new TypingIndicator();
    t.typing(1, bob, 0);
    t.typing(1, carol, 0);
    t.typing(2, bob, 0);
    t.stopped(1, bob.id);
    expect(t.who(1, 10)).toEqual(["carol"]);
    expect(t.who(2, 10)).toEqual(["bob"]);
  });

  it("should word one, two and many typists", () => {
    expect(typingText([])).toBe("");
    expect(typingText(["bob"])).toBe("bob is typing…");
    expect(typingText(["bob", "carol"])).toBe("bob and carol are typing…");
    expect(typingText(["a", "b", "c"])).toBe("3 people are typing…");
  });
});

describe("TypingSender", () => {
  it("should send at most one notice per room every 3 s, and again at once after a send", () => {
    const sent: number[] = [];
    const s = new TypingSender((room) => sent.push(room));
    s.keystroke(1, 0);
    s.keystroke(1, 2999);
    s.keystroke(2, 100);
    expect(sent).toEqual([1, 2]);
    s.keystroke(1, 3000);
    expect(sent).toEqual([1, 2, 1]);
    s.sent(1);
    s.keystroke(1, 3001);
    expect(sent).toEqual([1, 2, 1, 1]);
  });
});
