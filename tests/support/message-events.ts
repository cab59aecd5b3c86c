/**
 * What the message-event test files share (edits, reactions and deletes; mention counts; search;
 * crash and many-node delivery; erasure): a server with its rate limits lifted, alice and bob in
 * a room, the frames that send and change messages, and a view of what a socket received.
 *
 * `server` is a live binding to the test's latest server; `messageEventsSuite()` stops it, the
 * spawned `children` and the temp `dirs` after each test.
 */
import { afterEach } from "bun:test";
import type { Message, RoomEvent, ServerFrameOf } from "../../src/protocol/index.ts";
import type { Config } from "../../src/server/config.ts";
import { connect, createRoom, joinRoom, register, type TestSocket } from "./client.ts";
import { type ChildServer, startTestServer, type TestServer } from "./server.ts";

export type Ack = ServerFrameOf<"ack">;
export type Err = ServerFrameOf<"error">;
export type Request = Parameters<TestSocket["request"]>[0];

export let server: TestServer;
let running: TestServer | undefined;
export const children: ChildServer[] = [];
export const dirs: { remove(): void }[] = [];

/** Stops after each test of the file whatever it started. */
export function messageEventsSuite(): void {
  afterEach(async () => {
    await running?.close();
    running = undefined;
    for (const c of children.splice(0)) await c.kill().catch(() => {});
    for (const d of dirs.splice(0)) d.remove();
  });
}

/** A server for this test, with its rate limits lifted; `server` points at it until the next. */
export async function eventServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  server = await startTestServer({ rate: 100_000, burst: 100_000, ...overrides });
  running = server;
  return server;
}

let n = 0;
/** A client id no other request of the run has used. */
export const cid = (p: string) => `${p}-${++n}`;

export function send(ws: TestSocket, room: number, body: string, extra: object = {}) {
  return ws.request<Ack>({ type: "send", room, cid: cid("m"), body, ...extra } as Request);
}

export function change(ws: TestSocket, room: number, fields: object) {
  return ws.request<Ack | Err>({ type: "event", room, cid: cid("e"), ...fields } as Request);
}

/** The entries a socket received for a room, messages and events, in arrival order. */
export function log(ws: TestSocket, room: number): (Message | RoomEvent)[] {
  return ws.frames
    .filter(
      (f): f is ServerFrameOf<"msg"> | ServerFrameOf<"event"> =>
        (f.type === "msg" || f.type === "event") && f.room === room,
    )
    .map(({ type: _, ...e }) => e as Message | RoomEvent);
}

/** What a client shows: each message with every event applied, in seq order. */
export function fold(entries: readonly (Message | RoomEvent)[]): Map<number, Message> {
  const shown = new Map<number, Message>();
  for (const e of entries) {
    if (!("kind" in e)) {
      shown.set(e.seq, { ...e });
      continue;
    }
    const m = shown.get(e.target ?? -1);
    if (!m) continue;
    if (e.kind === "edit") Object.assign(m, { body: e.body, edited: e.ts });
    if (e.kind === "delete") Object.assign(m, { body: "", deleted: true, reactions: undefined });
    if (e.kind === "react") {
      const all = m.reactions ?? [];
      const r = all.find((x) => x.emoji === e.emoji);
      const users = (r?.users ?? []).filter((u) => u.id !== e.from.id);
      if (e.on) users.push(e.from);
      const rest = all.filter((x) => x.emoji !== e.emoji);
      const next = users.length
        ? [...rest, { emoji: e.emoji as string, count: users.length, users }]
        : rest;
      m.reactions = next.length ? next : undefined;
    }
  }
  return shown;
}

export async function waitSeq(ws: TestSocket, room: number, seq: number) {
  await ws.waitFor(
    (f) => (f.type === "msg" || f.type === "event") && f.room === room && f.seq === seq,
  );
}

/** Alice's room with bob joined, both connected and in it, on a server of its own. */
export async function pair() {
  await eventServer();
  const alice = await register(server.url);
  const bob = await register(server.url);
  const room = await createRoom(server.url, alice.token);
  await joinRoom(server.url, bob.token, room);
  const a = await connect(server.wsUrl, alice.token);
  const b = await connect(server.wsUrl, bob.token);
  await a.request({ type: "join", room });
  await b.request({ type: "join", room });
  return { alice, bob, room, a, b };
}
