/**
 * Presence privacy: a user's status reaches only people who share a public room with them or
 * whom they accepted as a contact, never someone they blocked; outsiders learn nothing of a DM.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrame, ServerFrameOf } from "../src/protocol/index.ts";
import {
  type Account,
  connect,
  createRoom,
  joinRoom,
  register,
  type TestSocket,
} from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { offlineGraceMs: 100 });
});
afterAll(() => server.close());

interface Person {
  account: Account;
  ws: TestSocket;
}

async function person(): Promise<Person> {
  const account = await register(server.url);
  return { account, ws: await connect(server.wsUrl, account.token) };
}

type Contacts = ServerFrameOf<"contacts">;

async function statusInContacts(viewer: Person, subject: Person, add = true): Promise<string> {
  const view = await viewer.ws.request<Contacts>(
    add ? { type: "contact_add", user: subject.account.user.name } : { type: "contacts" },
  );
  return view.contacts.find((c) => c.id === subject.account.user.id)?.status ?? "absent";
}

const presenceOf = (frames: ServerFrame[], user: number) =>
  frames.filter((f) => f.type === "presence" && f.user.id === user);

describe("presence privacy", () => {
  it("shows a stranger who adds a user as a contact nothing, until the user accepts them", async () => {
    const alice = await person();
    const mallory = await person();
    expect(await statusInContacts(mallory, alice)).toBe("offline");
    // Alice adds Mallory back: now Mallory may see her.
    await alice.ws.request({ type: "contact_add", user: mallory.account.user.name });
    expect(await statusInContacts(mallory, alice, false)).toBe("online");
  });

  it("shows status to someone sharing a room, and hides it (list and members) once the user blocks them", async () => {
    const alice = await person();
    const bob = await person();
    const room = await createRoom(server.url, alice.account.token);
    await joinRoom(server.url, bob.account.token, room);
    expect(await statusInContacts(bob, alice)).toBe("online");
    const inRoom = async () =>
      (await bob.ws.request<ServerFrameOf<"members">>({ type: "members", room })).members.find(
        (m) => m.id === alice.account.user.id,
      );
    expect(await inRoom()).toMatchObject({ online: true, status: "online" });
    await alice.ws.request({ type: "block", user: bob.account.user.name });
    expect(await statusInContacts(bob, alice, false)).toBe("offline");
    // The room's member list still lists her, but not her status.
    expect(await inRoom()).toMatchObject({ online: false, status: "offline" });
  });

  it("streams no presence to a stranger who opens a DM with the user", async () => {
    const alice = await person();
    const mallory = await person();
    const dm = await mallory.ws.request<ServerFrameOf<"dm">>({
      type: "dm",
      user: alice.account.user.name,
    });
    expect(dm.type).toBe("dm");
    expect(dm.room.peer?.status).toBe("offline");
    // A friend in a shared room is the control: they do hear Alice go away.
    const friend = await person();
    const room = await createRoom(server.url, alice.account.token);
    await joinRoom(server.url, friend.account.token, room);
    await friend.ws.request({ type: "join", room });
    await alice.ws.request({ type: "status", status: "away" });
    await friend.ws.waitFor((f) => f.type === "presence" && f.user.id === alice.account.user.id);
    const members = await mallory.ws.request<ServerFrameOf<"members">>({
      type: "members",
      room: dm.room.id,
    });
    expect(members.members.find((m) => m.id === alice.account.user.id)?.status).toBe("offline");
    expect(presenceOf(mallory.ws.frames, alice.account.user.id)).toEqual([]);
  });

  it("answers an outsider's send, history and members for a DM with ROOM_NOT_FOUND", async () => {
    const alice = await person();
    const bob = await person();
    const mallory = await person();
    const dm = await alice.ws.request<ServerFrameOf<"dm">>({
      type: "dm",
      user: bob.account.user.name,
    });
    const room = dm.room.id;
    for (const frame of [
      { type: "send", room, cid: crypto.randomUUID(), body: "hello?" },
      { type: "send", room, cid: crypto.randomUUID(), file: "A".repeat(22) },
      { type: "history", room },
      { type: "members", room },
      { type: "join", room },
      { type: "leave", room },
    ] as const) {
      const reply = await mallory.ws.request(frame);
      expect({ frame: frame.type, reply }).toMatchObject({
        frame: frame.type,
        reply: { type: "error", code: "ROOM_NOT_FOUND" },
      });
    }
  });
});
