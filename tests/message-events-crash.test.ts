/**
 * Message events across a crash: every acknowledged edit, reaction and delete survives a SIGKILL
 * of the server process, and a client resumes to exactly the events it missed.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import { connect, createRoom, register } from "./support/client.ts";
import {
  type Ack,
  change,
  children,
  dirs,
  log,
  messageEventsSuite,
  send,
  waitSeq,
} from "./support/message-events.ts";
import { spawnServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

messageEventsSuite();

describe("message events after kill -9", () => {
  it("keeps every acknowledged edit, reaction and delete across a SIGKILL", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = join(dir.path, "parley.db");
    const fast = ["--rate", "100000", "--burst", "100000"];
    const first = await spawnServer({ db, extraArgs: fast });
    children.push(first);
    const alice = await register(first.url);
    const room = await createRoom(first.url, alice.token);
    const a = await connect(first.wsUrl, alice.token);
    await a.request({ type: "join", room });
    const m1 = await send(a, room, "keep me");
    const m2 = await send(a, room, "erase me");
    await change(a, room, { kind: "edit", target: m1.seq, body: "kept, edited" });
    await change(a, room, { kind: "react", target: m1.seq, emoji: "🔥" });
    const last = (await change(a, room, { kind: "delete", target: m2.seq })) as Ack;
    await first.kill();
    const second = await spawnServer({ db, extraArgs: fast });
    children.push(second);
    const b = await connect(second.wsUrl, alice.token);
    const page = await b.request<ServerFrameOf<"history">>({ type: "history", room });
    expect(page.messages.map((x) => [x.body, x.edited !== undefined, x.deleted])).toEqual([
      ["kept, edited", true, undefined],
      ["", false, true],
    ]);
    expect(page.messages[0]?.reactions?.[0]).toMatchObject({ emoji: "🔥", count: 1 });
    // A client that saw only the two messages resumes after the crash: exactly the three events.
    await b.request({ type: "resume", rooms: [{ room, after: m2.seq }] });
    await waitSeq(b, room, last.seq);
    await Bun.sleep(100);
    expect(log(b, room).map((e) => ("kind" in e ? e.kind : "msg"))).toEqual([
      "edit",
      "react",
      "delete",
    ]);
    const next = await send(b, room, "after the crash");
    expect(next.seq).toBe(last.seq + 1);
    const raw = await Bun.file(db)
      .text()
      .catch(() => "");
    expect(raw.includes("erase me")).toBe(false);
  });
});
