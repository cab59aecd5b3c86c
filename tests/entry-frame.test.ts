/**
 * encodeEntryFrame splices a `msg` or `event` frame's type in front of the entry's own JSON
 * instead of copying the entry into a new object; the wire bytes must stay exactly those of
 * JSON.stringify of the object form, key order included.
 */
import { describe, expect, it } from "bun:test";
import {
  encodeEntryFrame,
  entryFrame,
  type LogEntry,
  type Message,
  type RoomEvent,
} from "../src/protocol/index.ts";

const TRICKY_BODIES = [
  "",
  "plain text",
  'quotes " and \\ backslashes \\" and /slashes/',
  "control \u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f and DEL \u007f",
  "line and paragraph separators \u2028\u2029",
  "unicode: café, Ωμέγα, 中文, עברית, 👩‍👩‍👧‍👦, 🇫🇷, 👍🏽",
  "a lone high surrogate \ud800 here, a lone low one \udfff there, reversed \udc00\ud83d",
  "ends in a lone surrogate \ud83d",
  '{"type":"msg"} and }{ and ,"room":1',
  "__proto__",
  "x".repeat(4000),
];

function message(body: string, extra: Partial<Message> = {}): Message {
  return {
    room: 7,
    seq: 42,
    ts: 1764470000000,
    from: { id: 3, name: body.slice(0, 32) || "alice" },
    cid: body.slice(0, 64),
    body,
    ...extra,
  };
}

function event(body: string): RoomEvent {
  return {
    room: 7,
    seq: 43,
    ts: 1764470000001,
    from: { id: 3, name: "alice" },
    cid: `edit-${body.slice(0, 8)}`,
    kind: "edit",
    target: 42,
    body,
  };
}

describe("encodeEntryFrame", () => {
  it("gives the bytes of JSON.stringify(entryFrame(m)) for every tricky body, as msg and as event", () => {
    for (const body of TRICKY_BODIES) {
      for (const entry of [message(body), event(body)] as LogEntry[]) {
        const encoded = encodeEntryFrame(entry);
        expect(encoded).toBe(JSON.stringify(entryFrame(entry)));
        expect(JSON.parse(encoded)).toEqual(
          JSON.parse(JSON.stringify({ type: "kind" in entry ? "event" : "msg", ...entry })),
        );
      }
    }
  });

  it("keeps the key order of a message with every optional part, and leaves out undefined ones", () => {
    const full = message('hi \u2028 "there"', {
      file: { id: "f1", name: 'a "b".png', size: 10, type: "image/png" },
      edited: 1764470000500,
      reactions: [{ emoji: "👍🏽", count: 1, users: [{ id: 4, name: "bob" }] }],
      reply: { seq: 1, from: { id: 4, name: "bob" }, excerpt: "\ud800 lone", deleted: false },
      envelope: undefined,
    } as Partial<Message>);
    const encoded = encodeEntryFrame(full);
    expect(encoded).toBe(JSON.stringify(entryFrame(full)));
    expect(encoded.startsWith('{"type":"msg","room":7,"seq":42,')).toBe(true);
    expect(encoded).not.toContain("envelope");
  });
});
