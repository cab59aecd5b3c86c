/**
 * The room's timeline on a real server: joins, leaves, accepted invitations and moderation actions
 * are events of the room's log, replayed in order on resume.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, register } from "./support/client.ts";
import {
  accept,
  call,
  communityServer,
  invite,
  moderate,
  room,
  server,
  socket,
} from "./support/communities.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

communityServer();

describe("the room's timeline", () => {
  it("stores joins, leaves, invitations accepted and every moderation action as events, replayed in order on resume", async () => {
    const owner = await register(server.url);
    const [bob, carol, dave] = (await Promise.all([1, 2, 3].map(() => register(server.url)))) as [
      Account,
      Account,
      Account,
    ];
    const r = await room(owner);
    for (const a of [bob, carol]) await call("POST", `/api/rooms/${r.id}/join`, a);
    // A member's socket joining again, and a reconnect, change no membership: nothing is stored.
    const carolWs = await socket(carol);
    const joined = await carolWs.request<ServerFrameOf<"joined">>({ type: "join", room: r.id });
    expect(joined.room.head).toBe(2);
    carolWs.ws.close();

    const { code } = await invite(owner, r.id);
    expect((await accept(dave, code)).status).toBe(200);
    await moderate(owner, r.id, { action: "op", user: dave.user.name });
    await call("PUT", `/api/rooms/${r.id}/topic`, owner, { topic: "rules" });
    await moderate(owner, r.id, { action: "mute", user: carol.user.name, seconds: 60 });
    await moderate(owner, r.id, { action: "unmute", user: carol.user.name });
    await moderate(owner, r.id, { action: "kick", user: bob.user.name, reason: "x" });
    await moderate(owner, r.id, { action: "ban", user: bob.user.name, reason: "spam" });
    await moderate(owner, r.id, { action: "unban", user: bob.user.name });
    expect((await call("POST", `/api/rooms/${r.id}/leave`, dave)).status).toBe(204);

    const again = await socket(carol);
    await again.request({ type: "resume", rooms: [{ room: r.id, after: 0 }] });
    const events = again.frames.filter(
      (f): f is ServerFrameOf<"event"> => f.type === "event" && f.room === r.id,
    );
    const [o, b, c, d] = [owner, bob, carol, dave].map((a) => a.user.name);
    expect(events.map((e) => [e.kind, e.from.name, e.user?.name, e.body])).toEqual([
      ["join", b, undefined, undefined],
      ["join", c, undefined, undefined],
      ["join", d, undefined, "invite"],
      ["role", o, d, "moderator"],
      ["topic", o, undefined, "rules"],
      ["mute", o, c, undefined],
      ["unmute", o, c, undefined],
      ["kick", o, b, "x"],
      ["ban", o, b, "spam"],
      ["unban", o, b, undefined],
      ["leave", d, undefined, undefined],
    ]);
    // The whole log, exactly once and in order: these events are every entry of it.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });
});
