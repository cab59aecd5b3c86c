/**
 * Edits, deletions, reactions and replies in end-to-end encrypted DMs (sealed-changes.ts), between
 * two real devices through a real server: the server stores only sealed changes, both people
 * see each change opened, an edited DM reads as its new text in history, and a change the
 * server (or the peer) moved to another message is dropped, never applied.
 */
import { afterAll, afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { applyEvent, type EventContent } from "../../src/client-core/message-state.ts";
import { sealedChangeText } from "../../src/client-core/sealed-change.ts";
import { SealedChanges } from "../../src/client-core/sealed-changes.ts";
import { SecureDm } from "../../src/client-core/secure-dm.ts";
import type { Message, RoomEvent } from "../../src/protocol/index.ts";
import { api, register } from "../support/client.ts";
import { spawnServer, suiteServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { type Device, startDevice } from "./secure-device.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** A device with its DM changes, folding what it sees into the messages it holds. */
interface Peer {
  d: Device;
  changes: SealedChanges;
  events: { e: RoomEvent; content: EventContent }[];
  problems: string[];
  /** The message at `seq` as this device shows it now. */
  shown(seq: number): Message | undefined;
}

const dirs = tempDir("parley-dm-changes-");
const cleanups: (() => void)[] = [];
afterAll(() => dirs.remove());
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function peer(
  server: string,
  account: Awaited<ReturnType<typeof register>>,
  device?: Device,
): Promise<Peer> {
  const d = device ?? (await startDevice(server, account, dirs.path));
  const events: Peer["events"] = [];
  const problems: string[] = [];
  const changes = new SealedChanges(
    d.conn,
    { dm: d.dm },
    {
      change: (e, content) => events.push({ e, content }),
      problem: (text) => problems.push(text),
    },
  );
  cleanups.push(() => {
    changes.close();
    d.close();
  });
  return {
    d,
    changes,
    events,
    problems,
    shown(seq) {
      const got = d.got.find((g) => g.seq === seq);
      if (!got) return undefined;
      let m = got.message;
      for (const { e, content } of events) if (e.target === seq) m = applyEvent(m, e, content);
      return m;
    },
  };
}

/** A device like startDevice's, on a connection made by the test. */
async function deviceOn(
  conn: Connection,
  account: Awaited<ReturnType<typeof register>>,
): Promise<Device> {
  const dir = join(dirs.path, `gated-${account.user.id}`);
  const files = deviceFiles(dir, "http://gated.test", account.user.id);
  const dm = new SecureDm({ conn, identities: files.identities, keyBook: files.keyBook });
  const d: Device = {
    conn,
    dm,
    dir,
    got: [],
    keys: [],
    held: [],
    texts: () => d.got.flatMap((g) => (g.content.kind === "text" ? [g.content.text] : [])),
    close: () => {
      dm.close();
      conn.close();
    },
  };
  dm.on("message", (m: Message, content) =>
    d.got.push({ from: m.from.name, seq: m.seq, room: m.room, message: m, content }),
  );
  conn.start();
  expect(await dm.start()).toEqual({ ok: true });
  return d;
}

describe("changes to end-to-end encrypted DMs", () => {
  const server = suiteServer();

  it("should seal edits and reactions, show them opened to both people, and erase on delete", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice = await peer(server.url, aliceAcc);
    const bob = await peer(server.url, bobAcc);
    const room = (await alice.d.dm.openDm(bobAcc.user.name)).id;
    alice.d.dm.send(room, "see you at 2");
    alice.d.dm.send(room, "oops, wrong chat");
    await until(() => bob.d.texts().includes("oops, wrong chat"), "bob to read both DMs");

    // Bob replies to the first, sealed, quoting it by seq only.
    bob.d.dm.send(room, "fine by me", undefined, 1);
    await until(() => alice.d.texts().includes("fine by me"), "alice to read the reply");
    const reply = alice.d.got.find((g) => g.seq === 3)?.message;
    expect(reply?.reply).toMatchObject({ seq: 1, excerpt: "", from: { id: aliceAcc.user.id } });

    await alice.changes.send(room, { kind: "edit", target: 1, body: "see you at 3" });
    await bob.changes.send(room, { kind: "react", target: 1, emoji: "👍", on: true });
    await alice.changes.send(room, { kind: "delete", target: 2 });
    for (const p of [alice, bob]) {
      await until(() => p.events.length === 3, "every change, opened");
      expect(p.shown(1)).toMatchObject({
        body: "see you at 3",
        reactions: [{ emoji: "👍", count: 1, users: [{ id: bobAcc.user.id }] }],
      });
      expect(p.shown(1)?.edited).toBeNumber();
      expect(p.shown(2)).toMatchObject({ body: "", deleted: true });
      expect(p.problems).toEqual([]);
    }
    // The reaction's sealer is bob, whatever the frame says.
    expect(alice.events[1]?.e.from.id).toBe(bobAcc.user.id);

    // The server holds only ciphertext: the events carry no text or emoji, and the deleted
    // message kept no envelope.
    const stored = await api<{ messages: Message[]; events?: RoomEvent[] }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages?after=0&limit=200`,
      undefined,
      bobAcc.token,
    );
    const raw = JSON.stringify(stored.body);
    for (const secret of ["see you at 3", "👍", "oops"]) expect(raw).not.toContain(secret);
    const events = stored.body.events ?? [];
    expect(events.map((e) => e.kind)).toEqual(["edit", "react", "delete"]);
    expect(events.slice(0, 2).every((e) => e.envelope !== undefined)).toBe(true);
    expect(stored.body.messages.find((m) => m.seq === 2)).toMatchObject({ deleted: true });
    expect(stored.body.messages.find((m) => m.seq === 2)?.envelope).toBeUndefined();

    // A history page shows the edited DM in its current state: its envelope is the edit's,
    // and it opens to the new text.
    const page = await bob.d.conn.history(room, { limit: 10 });
    const edited = page.messages.find((m) => m.seq === 1) as Message;
    expect(edited.edited).toBeNumber();
    const opened = await bob.d.dm.reveal(edited, { dedupe: false });
    expect(opened?.content).toEqual({ kind: "text", text: "see you at 3" });
    expect(opened?.message.from.id).toBe(aliceAcc.user.id);
    const deleted = await bob.d.dm.reveal(page.messages.find((m) => m.seq === 2) as Message, {
      dedupe: false,
    });
    expect(deleted?.message).toMatchObject({ deleted: true, body: "" });
  });

  it("should drop a sealed change whose event names another message than the one sealed", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice = await peer(server.url, aliceAcc);
    const bob = await peer(server.url, bobAcc);
    const room = (await alice.d.dm.openDm(bobAcc.user.name)).id;
    alice.d.dm.send(room, "one");
    alice.d.dm.send(room, "two");
    await until(() => bob.d.texts().includes("two"), "bob to read both");

    // Bob seals a reaction to seq 1 and sends it as a reaction to seq 2 (what a server moving
    // events around would do): the server cannot tell, alice's client can.
    const cid = crypto.randomUUID();
    const text = sealedChangeText({ kind: "react", target: 1, emoji: "😂", on: true });
    const envelope = await bob.d.dm.sealFor(room, text, cid);
    await bob.d.conn.change(room, { kind: "react", target: 2, envelope }, cid);
    // An honest change after it shows the moved one was dropped, not merely late.
    await bob.changes.send(room, { kind: "react", target: 1, emoji: "👀", on: true });
    await until(() => alice.events.length === 1, "the honest reaction");
    expect(alice.events[0]?.content).toEqual({ emoji: "👀", on: true });
    expect(alice.shown(2)?.reactions).toBeUndefined();
    expect(alice.problems).toHaveLength(1);

    // Bob cannot edit alice's message: the server refuses it (NOT_AUTHOR) before anything.
    await expect(
      bob.changes.send(room, { kind: "edit", target: 1, body: "forged" }),
    ).rejects.toMatchObject({ code: "NOT_AUTHOR" });
  });

  it("should bring a device cut off by a server crash to the final state of a DM edited and reacted to meanwhile", async () => {
    const db = join(dirs.path, "crash.db");
    const fast = ["--rate", "10000", "--burst", "10000"];
    let child = await spawnServer({ db, extraArgs: fast });
    const port = Number(new URL(child.url).port);
    try {
      const aliceAcc = await register(child.url);
      const bobAcc = await register(child.url);
      // Alice's sockets reach the server only while `online`: she stays cut off at will.
      let online = true;
      class GatedSocket extends WebSocket {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(online ? url : "ws://127.0.0.1:9/", protocols);
        }
      }
      const aliceConn = new Connection({
        server: child.url,
        token: aliceAcc.token,
        WebSocket: GatedSocket as typeof WebSocket,
        backoff: { baseMs: 50, capMs: 200 },
      });
      const alice = await peer(child.url, aliceAcc, await deviceOn(aliceConn, aliceAcc));
      const bob = await peer(child.url, bobAcc);
      const room = (await alice.d.dm.openDm(bobAcc.user.name)).id;
      bob.d.dm.send(room, "lunch at 12?");
      await until(() => alice.d.texts().includes("lunch at 12?"), "alice to read bob's DM");

      // The server dies and comes back; bob's device reconnects, alice's stays cut off while
      // bob edits and reacts, then reconnects and resumes.
      online = false;
      await child.kill();
      child = await spawnServer({ db, port, extraArgs: fast });
      await until(() => bob.d.conn.state === "open", "bob's device back online", 30_000);
      await bob.changes.send(room, { kind: "edit", target: 1, body: "lunch at 1?" });
      await bob.changes.send(room, { kind: "react", target: 1, emoji: "🍕", on: true });
      expect(alice.d.conn.state).not.toBe("open");
      expect(alice.events).toEqual([]);
      online = true;
      await until(() => alice.events.length === 2, "alice to catch up on both changes", 30_000);
      expect(alice.shown(1)).toMatchObject({
        body: "lunch at 1?",
        reactions: [{ emoji: "🍕", count: 1, users: [{ id: bobAcc.user.id }] }],
      });
      expect(alice.events.map((x) => x.e.seq)).toEqual([2, 3]);
      expect(alice.problems).toEqual([]);
    } finally {
      await child.kill();
    }
  });
});
