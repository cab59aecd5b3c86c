/**
 * The hand-written check of a plain `send` (src/protocol/plain-send.ts) against the schema it
 * shortcuts: on every frame of the corpus it either steps aside or returns exactly what the
 * schema returns, and it never accepts what the schema refuses.
 */
import { describe, expect, it } from "bun:test";
import { decodeClientFrame } from "../src/protocol/codec.ts";
import { clientFrames } from "../src/protocol/frame.ts";
import { plainSend } from "../src/protocol/plain-send.ts";

const base = { type: "send", id: "r1", room: 7, cid: "c-1", body: "hello" };

const variants: Record<string, unknown>[] = [
  base,
  { ...base, body: "" },
  { ...base, body: "x".repeat(16_000) },
  { ...base, body: "x".repeat(16_001) },
  { ...base, body: "😀".repeat(8_000) },
  { ...base, body: null },
  { ...base, body: 5 },
  { ...base, id: "" },
  { ...base, id: "i".repeat(64) },
  { ...base, id: "i".repeat(65) },
  { ...base, id: 1 },
  { ...base, room: 0 },
  { ...base, room: -1 },
  { ...base, room: 1.5 },
  { ...base, room: Number.MAX_SAFE_INTEGER },
  { ...base, room: Number.MAX_SAFE_INTEGER + 1 },
  { ...base, room: "7" },
  { ...base, cid: "" },
  { ...base, cid: "c".repeat(64) },
  { ...base, cid: "c".repeat(65) },
  { ...base, cid: "a\u0000b" },
  { ...base, cid: "lone \ud800 surrogate" },
  { ...base, cid: "pair \ud83d\ude00" },
  { ...base, extra: 1 },
  { ...base, reply: 3 },
  { ...base, file: "f".repeat(32) },
  { ...base, envelope: {} },
  { type: "send", id: "r1", room: 7, cid: "c-1" },
  { type: "send", id: "r1", room: 7, body: "no cid", extra: 1 },
  { ...base, type: "sendx" },
];

describe("the plain send check", () => {
  it("returns what the send schema returns, or steps aside", () => {
    let taken = 0;
    for (const frame of variants) {
      const schema = clientFrames.send.safeParse(frame);
      const fast = plainSend(frame);
      if (fast === undefined) continue;
      taken++;
      expect(schema.success).toBe(true);
      expect(fast).toEqual(schema.data as typeof fast);
    }
    // The corpus reaches the fast path, or this test proves nothing.
    expect(taken).toBeGreaterThanOrEqual(6);
  });

  it("steps aside for a __proto__ key, which JSON.parse makes an own key", () => {
    const frame = JSON.parse(
      '{"type":"send","id":"r","room":1,"cid":"c","body":"b","__proto__":{}}',
    );
    expect(plainSend(frame)).toBeUndefined();
  });

  it("gives the decoder the same frame and the same errors as before", () => {
    for (const frame of variants) {
      const decoded = decodeClientFrame(JSON.stringify(frame), 1024 * 1024);
      const schema = clientFrames.send.safeParse(frame);
      if (frame.type !== "send") continue;
      expect(decoded.ok).toBe(schema.success);
      if (decoded.ok) expect(decoded.frame).toEqual(schema.data as typeof decoded.frame);
      else expect(decoded.error.code).toBe("INVALID");
    }
  });
});
