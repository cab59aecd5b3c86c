import { describe, expect, it } from "bun:test";
import { escapeTag, parseLine, serialize, unescapeTag } from "../../src/irc/message.ts";
import { channelOf, nickOf, roomNameOf, usernameOf } from "../../src/irc/names.ts";
import { bodyOf, privmsgTexts, splitText } from "../../src/irc/render.ts";

describe("IRC lines", () => {
  it("parses tags, source, command and a trailing parameter", () => {
    const m = parseLine(
      "@time=2026-01-01T00:00:00Z;+typing=active;flag :nick!u@h privmsg #room :hello there",
    );
    expect(m?.command).toBe("PRIVMSG");
    expect(m?.source).toBe("nick!u@h");
    expect(m?.params).toEqual(["#room", "hello there"]);
    expect(m?.tags.get("+typing")).toBe("active");
    expect(m?.tags.get("flag")).toBe("");
  });

  it("round-trips tag values through escaping", () => {
    const value = "a;b c\\d\r\ne";
    expect(unescapeTag(escapeTag(value))).toBe(value);
    const line = serialize({ tags: new Map([["label", value]]), command: "ACK" });
    expect(parseLine(line)?.tags.get("label")).toBe(value);
  });

  it("puts a colon before a last parameter that needs one", () => {
    expect(serialize({ command: "PRIVMSG", params: ["#a", "two words"] })).toBe(
      "PRIVMSG #a :two words",
    );
    expect(serialize({ command: "PRIVMSG", params: ["#a", ":x"] })).toBe("PRIVMSG #a ::x");
    expect(serialize({ command: "AWAY", params: [""] })).toBe("AWAY :");
    expect(serialize({ command: "JOIN", params: ["#a"] })).toBe("JOIN #a");
  });

  it("gives nothing for lines without a command", () => {
    for (const line of ["", "@a=b", ":src", "@a :src", "   "])
      expect(parseLine(line)).toBeUndefined();
  });
});

describe("names", () => {
  it("maps usernames that IRC cannot carry with a ^, one to one and back", () => {
    for (const name of ["alice", "7seas", "-dash-", "a_b-c", "007"]) {
      const nick = nickOf(name);
      expect(/^[0-9-]/.test(nick)).toBe(false);
      expect(usernameOf(nick)).toBe(name);
    }
    expect(nickOf("7seas")).toBe("^7seas");
    expect(usernameOf("^alice")).toBeUndefined();
    expect(usernameOf("7seas")).toBeUndefined();
    expect(usernameOf("no spaces")).toBeUndefined();
  });

  it("maps rooms to channels and refuses channel names no room can have", () => {
    expect(channelOf("general")).toBe("#general");
    expect(roomNameOf("#general")).toBe("general");
    for (const bad of ["general", "#", "#a", "#dm:1:2", "#has space", "##x"])
      expect(roomNameOf(bad)).toBeUndefined();
  });
});

describe("message text", () => {
  it("cuts long text into pieces of at most the byte limit, never inside a character", () => {
    const text = `${"ü".repeat(300)} end`;
    const pieces = splitText(text, 101);
    for (const p of pieces) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(101);
    expect(pieces.join("")).toBe(text);
  });

  it("never goes over the limit when a space falls just past it", () => {
    for (let max = 10; max < 30; max++) {
      const text = `${"x".repeat(max)} ${"y".repeat(max)} z`;
      for (const p of splitText(text, max)) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(max);
      expect(splitText(text, max).join("")).toBe(text);
    }
  });

  it("makes every line of a multi-line body its own PRIVMSG and skips blank ones", () => {
    expect(privmsgTexts("one\n\n  \ntwo\r\nthree", ":s PRIVMSG #a :")).toEqual([
      "one",
      "two",
      "three",
    ]);
  });

  it("turns /me into ACTION and back, and other CTCP into nothing", () => {
    expect(privmsgTexts("/me waves", ":s PRIVMSG #a :")).toEqual(["\u0001ACTION waves\u0001"]);
    expect(bodyOf("\u0001ACTION waves\u0001")).toBe("/me waves");
    expect(bodyOf("\u0001VERSION\u0001")).toBeUndefined();
    expect(bodyOf("plain")).toBe("plain");
  });
});
