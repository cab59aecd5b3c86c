import { describe, expect, it } from "bun:test";
import { applyEvent } from "../../src/client-core/message-state.ts";
import type { Message, RoomEvent } from "../../src/protocol/index.ts";

const alice = { id: 1, name: "alice" };
const bob = { id: 2, name: "bob" };
const m: Message = { room: 1, seq: 1, ts: 1, from: alice, cid: "c", body: "hi" };
const ev = (seq: number, e: Partial<RoomEvent>): RoomEvent =>
  ({ room: 1, seq, ts: 10 + seq, from: bob, cid: `e${seq}`, target: 1, ...e }) as RoomEvent;

describe("a message's state on a client", () => {
  it("takes an edit, reactions on and off, and a delete, each idempotent", () => {
    let s = applyEvent(m, ev(2, { kind: "edit", from: alice, body: "hello" }));
    expect(s).toMatchObject({ body: "hello", edited: 12 });
    const up = ev(3, { kind: "react", emoji: "👍", on: true });
    s = applyEvent(applyEvent(s, up), up);
    expect(s.reactions).toEqual([{ emoji: "👍", count: 1, users: [bob] }]);
    s = applyEvent(s, ev(4, { kind: "react", emoji: "👍", on: false }));
    expect(s.reactions).toBeUndefined();
    s = applyEvent(s, ev(5, { kind: "delete", from: alice }));
    expect(s).toMatchObject({ body: "", deleted: true });
    expect(applyEvent(s, ev(6, { kind: "edit", body: "back" })).body).toBe("");
  });

  it("ignores a kind it does not know", () => {
    expect(applyEvent(m, ev(2, { kind: "topic" as never }))).toBe(m);
  });
});
