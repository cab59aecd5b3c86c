/**
 * The headless chat session both clients share, against a real server over real sockets: the
 * conversations it holds, the counting rule for unread and mentions, read markers the server
 * keeps, typing both ways, pending sends per room, and which DMs a key change concerns.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { ChatSession, PlainConversation } from "../../src/client-core/chat-session.ts";
import { Connection } from "../../src/client-core/connection.ts";
import type { KeyChange } from "../../src/client-core/key-directory.ts";
import type { Message } from "../../src/protocol/index.ts";
import { until } from "../client/gated-clock.ts";
import {
  type Account,
  connect,
  createRoom,
  joinRoom,
  register,
  unique,
} from "../support/client.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("ChatSession against a real server", () => {
  let server: TestServer;
  const open: Connection[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  function sessionOf(account: Account): ChatSession<PlainConversation> {
    const conn = new Connection({ server: server.url, token: account.token });
    open.push(conn);
    return new ChatSession({ conn, make: (s) => new PlainConversation(s) });
  }

  /** What a client does with each room message: take it into its conversation and count it. */
  function countArrivals(session: ChatSession<PlainConversation>, me: Account, seen = () => false) {
    const arrived: Message[] = [];
    session.conn.on("message", (m) => {
      const c = session.conversations.forRoom(m.room);
      if (!c) return;
      const mention = m.body.includes(`@${me.user.name}`);
      session.arrived(c, m, { me: me.user.id, seen: seen(), mention });
      arrived.push(m);
    });
    return arrived;
  }

  async function say(account: Account, room: number, ...bodies: string[]): Promise<void> {
    const ws = await connect(server.wsUrl, account.token);
    for (const body of bodies) await ws.request({ type: "send", room, cid: unique("c"), body });
    ws.close();
  }

  it("should hold every joined room with the server's counts, count only news afterwards, and clear them with a read the server keeps", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const lounge = await createRoom(server.url, bob.token, unique("r"));
    const quiet = await createRoom(server.url, bob.token, unique("r"));
    await joinRoom(server.url, alice.token, lounge);
    await joinRoom(server.url, alice.token, quiet);
    await say(bob, lounge, "one", `two @${alice.user.name}`);

    const session = sessionOf(alice);
    const arrived = countArrivals(session, alice);
    session.conn.start();
    const rooms = await session.load(50);
    expect(rooms.map((r) => r.id).sort()).toEqual([lounge, quiet].sort());
    // The replayed history is in the server's counts already: it is not counted twice.
    await until(() => arrived.length === 2, "the recent history of #lounge");
    const c = session.conversations.get(lounge) as PlainConversation;
    expect([c.unread, c.mentions]).toEqual([2, 1]);
    expect(session.conversations.totalUnread()).toBe(2);

    await say(bob, lounge, `three @${alice.user.name}`);
    await say(bob, quiet, "hello");
    await until(() => arrived.length === 4, "the live messages");
    expect([c.unread, c.mentions]).toEqual([3, 2]);
    expect(session.conversations.get(quiet)?.unread).toBe(1);
    expect(session.conversations.totalUnread((x) => x.id !== quiet)).toBe(3);

    // One's own messages are never news.
    session.conn.send(lounge, "mine");
    await until(() => arrived.length === 5, "alice's own message");
    expect(c.unread).toBe(3);

    expect(session.read(c, c.summary.head)).toBe(true);
    expect([c.unread, c.mentions]).toEqual([0, 0]);
    expect(session.read(c, c.summary.head)).toBe(false);
    // The marker reached the server: another device of alice's sees nothing unread there.
    const other = sessionOf(alice);
    other.conn.start();
    const unreadIn = async (id: number) =>
      (await other.conn.listRooms()).find((r) => r.id === id)?.unread;
    for (let i = 0; i < 100 && (await unreadIn(lounge)) !== 0; i++) await Bun.sleep(50);
    expect(await unreadIn(lounge)).toBe(0);
    expect(await unreadIn(quiet)).toBe(1);
  });

  it("should not count what arrives while the conversation is seen, and should hold a room opened on purpose without a badge", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const name = unique("r");
    const room = await createRoom(server.url, bob.token, name);
    await say(bob, room, "before alice");

    const session = sessionOf(alice);
    const arrived = countArrivals(session, alice, () => true);
    session.conn.start();
    const c = await session.attach(() => session.conn.join(name));
    expect(c.id).toBe(room);
    expect(c.unread).toBe(0);
    await say(bob, room, "while she looks");
    await until(() => arrived.some((m) => m.body === "while she looks"), "the live message");
    expect(c.unread).toBe(0);
    // bob's message, alice's join (a stored event), then the live message.
    expect(c.summary.head).toBe(3);
  });

  it("should take a deleted message out of the counts it was counted in, once", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const name = unique("r");
    const room = await createRoom(server.url, bob.token, name);
    await joinRoom(server.url, alice.token, room);
    const session = sessionOf(alice);
    const arrived = countArrivals(session, alice);
    let deletions = 0;
    session.conn.on("event", (e) => {
      const c = session.conversations.get(e.room);
      if (e.kind !== "delete") return; // the room's own events (a join) are in the log too
      if (c && e.target !== undefined) session.deleted(c, e.target);
      deletions++;
    });
    session.conn.start();
    await session.load(50);

    const bobs = sessionOf(bob);
    bobs.conn.start();
    await bobs.conn.join(name);
    bobs.conn.send(room, `hi @${alice.user.name}`);
    bobs.conn.send(room, "second");
    await until(() => arrived.length === 2, "bob's messages");
    const c = session.conversations.get(room) as PlainConversation;
    expect([c.unread, c.mentions]).toEqual([2, 1]);

    const first = arrived[0] as Message;
    await bobs.conn.change(room, { kind: "delete", target: first.seq });
    await until(() => deletions === 1, "the delete event");
    expect([c.unread, c.mentions]).toEqual([1, 0]);
    // Counted once: the same seq again changes nothing.
    expect(session.deleted(c, first.seq)).toBe(false);
    expect(c.unread).toBe(1);
  });

  it("should make the conversation of a DM the other person opened from the connection's summary, with no buffer of its own", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const session = sessionOf(alice);
    session.conn.start();
    await session.load(50);
    let opened: number | undefined;
    session.conn.on("push", (f) => {
      if (f.type === "dm_opened") opened = f.room.id;
    });

    const bobs = sessionOf(bob);
    bobs.conn.start();
    const dm = await bobs.conn.openDm(alice.user.name);
    await until(() => opened === dm.id, "the dm_opened push");
    // Not taken in by any view yet: asked for it, the book makes it from what the connection holds.
    expect(session.conversations.get(dm.id)).toBeUndefined();
    expect(session.isDm(dm.id)).toBe(true);
    const c = session.conversations.forRoom(dm.id);
    expect(c?.isDm).toBe(true);
    expect(c?.summary.peer?.id).toBe(bob.user.id);
    expect(session.conversations.forRoom(999_999)).toBeUndefined();
  });

  it("should carry typing both ways: a keystroke out, others' notices in until their message", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    await joinRoom(server.url, bob.token, room);
    const a = sessionOf(alice);
    const b = sessionOf(bob);
    const arrived = countArrivals(a, alice);
    a.conn.on("push", (f) => {
      if (f.type === "typing") a.typingIn(f.room, f.user, alice.user.id);
    });
    b.conn.on("push", (f) => {
      if (f.type === "typing") b.typingIn(f.room, f.user, bob.user.id);
    });
    a.conn.start();
    b.conn.start();
    await a.load(50);
    await b.load(50);

    b.keystroke(room);
    await until(() => a.typing(room).length > 0, "bob's typing notice");
    expect(a.typing(room)).toEqual([bob.user.name]);
    expect(a.nextTypingExpiry()).toBeGreaterThan(Date.now());
    // One's own typing is never shown, even when told of it.
    expect(b.typingIn(room, bob.user, bob.user.id)).toBe(false);
    expect(b.typing(room)).toEqual([]);

    b.conn.send(room, "done typing");
    await until(() => arrived.length === 1, "bob's message");
    expect(a.typing(room)).toEqual([]);
  });

  it("should list pending sends per room until the server has them", async () => {
    const alice = await register(server.url);
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    const other = await createRoom(server.url, alice.token, unique("r"));
    const session = sessionOf(alice);
    // Typed before the socket is open: pending, in the order typed.
    session.conn.send(room, "first");
    session.conn.send(other, "elsewhere");
    session.conn.send(room, "second");
    expect(session.pending(room).map((i) => i.body)).toEqual(["first", "second"]);
    expect(session.pending().length).toBe(3);
    session.conn.start();
    await session.load(50);
    await until(() => session.pending().length === 0, "the acks");
  });

  it("should say which DMs a key change concerns: the peer's, or every DM for one's own keys", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const carol = await register(server.url);
    const session = sessionOf(alice);
    session.conn.start();
    await session.load(50);
    const withBob = await session.attach(() => session.conn.openDm(bob.user.name));
    const withCarol = await session.attach(() => session.conn.openDm(carol.user.name));
    const name = unique("r");
    await createRoom(server.url, alice.token, name);
    const room = await session.attach(() => session.conn.join(name));
    expect(room.isDm).toBe(false);

    const change = (user: Account, self: boolean): KeyChange => ({
      user: user.user,
      self,
      observation: { kind: "identity-changed", changes: [], trust: "changed" },
    });
    expect(session.concernedBy(change(bob, false)).map((c) => c.id)).toEqual([withBob.id]);
    expect(
      session
        .concernedBy(change(alice, true))
        .map((c) => c.id)
        .sort(),
    ).toEqual([withBob.id, withCarol.id].sort());
  });
});
