import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrame, ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, api, connect, createRoom, joinRoom, register } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const GRACE = 300;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { offlineGraceMs: GRACE });
});
afterAll(() => server.close());

type Presence = ServerFrameOf<"presence">;
const presenceOf = (frames: ServerFrame[], user: number) =>
  frames
    .filter((f): f is Presence => f.type === "presence" && f.user.id === user)
    .map((f) => f.status);

async function pair(
  on: TestServer = server,
): Promise<{ alice: Account; bob: Account; room: number }> {
  const alice = await register(on.url);
  const bob = await register(on.url);
  const room = await createRoom(on.url, alice.token);
  await joinRoom(on.url, bob.token, room);
  return { alice, bob, room };
}

async function statusOf(viewer: Account, room: number, user: number): Promise<string | undefined> {
  const res = await api<{ members: { id: number; status: string }[] }>(
    server.url,
    "GET",
    `/api/rooms/${room}/members`,
    undefined,
    viewer.token,
  );
  return res.body.members.find((m) => m.id === user)?.status;
}

describe("presence", () => {
  it("keeps a user online while either of two connections is open", async () => {
    const { alice, bob, room } = await pair();
    const watcher = await connect(server.wsUrl, alice.token);
    await watcher.request({ type: "join", room });
    const phone = await connect(server.wsUrl, bob.token);
    const laptop = await connect(server.wsUrl, bob.token);
    await watcher.waitFor((f) => f.type === "presence" && f.user.id === bob.user.id);
    expect(await statusOf(alice, room, bob.user.id)).toBe("online");

    await phone.close();
    await Bun.sleep(GRACE * 3);
    expect(await statusOf(alice, room, bob.user.id)).toBe("online");
    expect(presenceOf(watcher.frames, bob.user.id)).toEqual(["online"]);

    await laptop.close();
    await watcher.waitFor(
      (f) => f.type === "presence" && f.user.id === bob.user.id && f.status === "offline",
      5000,
    );
    expect(await statusOf(alice, room, bob.user.id)).toBe("offline");
    expect(presenceOf(watcher.frames, bob.user.id)).toEqual(["online", "offline"]);
    await watcher.close();
  });

  it("announces nothing when a user reconnects within the grace period", async () => {
    // A grace of its own: a reconnect on a loaded machine can take longer than the suite's 300 ms,
    // and then the offline announcement would be right. Waiting twice the grace after the
    // reconnect still outlasts any announcement the close could have scheduled.
    const grace = 2000;
    const own = await startTestServer({}, { offlineGraceMs: grace });
    try {
      const { alice, bob, room } = await pair(own);
      const watcher = await connect(own.wsUrl, alice.token);
      await watcher.request({ type: "join", room });
      const first = await connect(own.wsUrl, bob.token);
      await watcher.waitFor((f) => f.type === "presence" && f.user.id === bob.user.id);
      await first.close();
      const second = await connect(own.wsUrl, bob.token);
      await Bun.sleep(grace * 2);
      expect(presenceOf(watcher.frames, bob.user.id)).toEqual(["online"]);
      await Promise.all([second.close(), watcher.close()]);
    } finally {
      await own.close();
    }
  });

  it("lists a user who reloads within the grace period as online, as announced, so no listing goes stale", async () => {
    // A long grace of its own: the listing is read well inside it, however slow the machine.
    const slow = await startTestServer({}, { offlineGraceMs: 60_000 });
    try {
      const alice = await register(slow.url);
      const bob = await register(slow.url);
      const room = await createRoom(slow.url, alice.token);
      await joinRoom(slow.url, bob.token, room);
      const members = async () =>
        (
          await api<{ members: { id: number; status: string }[] }>(
            slow.url,
            "GET",
            `/api/rooms/${room}/members`,
            undefined,
            alice.token,
          )
        ).body.members.find((m) => m.id === bob.user.id)?.status;
      const first = await connect(slow.wsUrl, bob.token);
      expect(await members()).toBe("online");
      await first.close();
      await Bun.sleep(200); // the server has seen the close by now, the grace is far from over
      // The room was never told bob left, so a listing must not say so either: nothing would
      // ever correct it when he is back (his return announces nothing).
      expect(await members()).toBe("online");
      const second = await connect(slow.wsUrl, bob.token);
      expect(await members()).toBe("online");
      await second.close();
    } finally {
      slow.close();
    }
  });

  it("shows a user away only while every connection is away", async () => {
    const { alice, bob, room } = await pair();
    const a = await connect(server.wsUrl, bob.token);
    const b = await connect(server.wsUrl, bob.token);
    expect(await a.request({ type: "status", status: "away" })).toMatchObject({ type: "ok" });
    expect(await statusOf(alice, room, bob.user.id)).toBe("online");
    await b.request({ type: "status", status: "away" });
    expect(await statusOf(alice, room, bob.user.id)).toBe("away");
    await b.request({ type: "status", status: "online" });
    expect(await statusOf(alice, room, bob.user.id)).toBe("online");
    await Promise.all([a.close(), b.close()]);
  });

  it("announces joins and leaves live, and never stores them as messages", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const watcher = await connect(server.wsUrl, alice.token);
    await watcher.request({ type: "join", room });
    await joinRoom(server.url, bob.token, room);
    await api(server.url, "POST", `/api/rooms/${room}/leave`, undefined, bob.token);
    await watcher.waitFor((f) => f.type === "notice" && f.event === "left");
    const notices = watcher.frames.filter((f): f is ServerFrameOf<"notice"> => f.type === "notice");
    expect(notices.map((n) => [n.event, n.user.id])).toEqual([
      ["joined", bob.user.id],
      ["left", bob.user.id],
    ]);
    const history = await api<{ messages: unknown[] }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages`,
      undefined,
      alice.token,
    );
    expect(history.body.messages).toEqual([]);
    // A later reader resumes from seq 0 and is not replayed any of it.
    const late = await connect(server.wsUrl, alice.token);
    await late.request({ type: "resume", rooms: [{ room, after: 0 }] });
    expect(late.frames.filter((f) => f.type === "notice" || f.type === "msg")).toEqual([]);
    await Promise.all([watcher.close(), late.close()]);
  });
});

describe("typing", () => {
  it("relays at most one notice per user and room every 3 s, to the others in the room", async () => {
    const { alice, bob, room } = await pair();
    const a = await connect(server.wsUrl, alice.token);
    const b = await connect(server.wsUrl, bob.token);
    await a.request({ type: "join", room });
    await b.request({ type: "join", room });
    for (let i = 0; i < 10; i++) b.raw(JSON.stringify({ type: "typing", room }));
    await a.waitFor((f) => f.type === "typing");
    await b.request({ type: "ping" });
    await a.request({ type: "ping" });
    expect(a.frames.filter((f) => f.type === "typing")).toEqual([
      { type: "typing", room, user: bob.user },
    ]);
    // Sending a message ends the typing: the next keystroke is relayed at once.
    await b.request({ type: "send", room, cid: "t1", body: "done typing" });
    b.raw(JSON.stringify({ type: "typing", room }));
    await a.waitFor(
      (f) => f.type === "typing" && a.frames.filter((x) => x.type === "typing").length === 2,
    );
    const history = await api<{ messages: { body: string }[] }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages`,
      undefined,
      alice.token,
    );
    expect(history.body.messages.map((m) => m.body)).toEqual(["done typing"]);
    await Promise.all([a.close(), b.close()]);
  });

  it("refuses typing in a room one is not in, quoting the id if given", async () => {
    const alice = await register(server.url);
    const outsider = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const o = await connect(server.wsUrl, outsider.token);
    expect(await o.request({ type: "typing", room })).toMatchObject({
      type: "error",
      code: "NOT_MEMBER",
    });
    await o.close();
  });
});
