import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createAccountKey,
  createIdentity,
  createRecoveryKey,
  type DeviceBundle,
  deviceListWire,
  type Envelope,
  type Identity,
  open,
  recoveryKeys,
  seal,
  signBackupInfo,
  signDeviceList,
  type VerifiedBundle,
  verifyBundle,
} from "../src/crypto/index.ts";
import { dmConversation, type ServerFrameOf } from "../src/protocol/index.ts";
import { type Account, api, connect, register, type TestSocket } from "./support/client.ts";
import { suiteServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const server = suiteServer();

/** A person with one device: an account, a socket and a device identity published to the server. */
interface Person {
  account: Account;
  ws: TestSocket;
  device: Identity;
}

async function person(): Promise<Person> {
  const account = await register(server.url);
  const ws = await connect(server.wsUrl, account.token);
  const device = await createIdentity({ user: String(account.user.id) });
  expect(await ws.request({ type: "device", bundle: device.bundle })).toMatchObject({ type: "ok" });
  return { account, ws, device };
}

async function addDevice(p: Person): Promise<{ ws: TestSocket; device: Identity }> {
  const ws = await connect(server.wsUrl, p.account.token);
  const device = await createIdentity({ user: String(p.account.user.id) });
  expect(await ws.request({ type: "device", bundle: device.bundle })).toMatchObject({ type: "ok" });
  return { ws, device };
}

async function bundles(ws: TestSocket, ...users: number[]): Promise<VerifiedBundle[]> {
  const reply = await ws.request<ServerFrameOf<"devices">>({ type: "devices", users });
  const verified: VerifiedBundle[] = [];
  for (const u of reply.users) {
    for (const b of u.devices as DeviceBundle[]) {
      const check = await verifyBundle(b, { user: String(u.user.id) });
      if (check.ok) verified.push(check.bundle);
    }
  }
  return verified;
}

async function openDm(p: Person, peer: Person): Promise<number> {
  const reply = await p.ws.request<ServerFrameOf<"dm">>({
    type: "dm",
    user: peer.account.user.name,
  });
  expect(reply).toMatchObject({
    type: "dm",
    room: { kind: "dm", peer: { id: peer.account.user.id } },
  });
  return reply.room.id;
}

async function sealFor(from: Person, to: Person, room: number, text: string, cid: string) {
  const devices = await bundles(from.ws, to.account.user.id, from.account.user.id);
  return seal({
    from: from.device,
    conversation: dmConversation(room),
    text,
    to: devices,
    id: cid,
  });
}

async function sendDm(
  from: Person,
  to: Person,
  room: number,
  text: string,
  cid = crypto.randomUUID(),
) {
  const envelope = await sealFor(from, to, room, text, cid);
  return from.ws.request({ type: "send", room, cid, envelope });
}

async function read(me: Identity, reader: TestSocket, room: number, envelope: Envelope) {
  const senders = await bundles(reader, Number(envelope.from.u));
  return open(envelope, { me, conversation: dmConversation(room), senders });
}

describe("direct messages", () => {
  it("delivers a sealed message that the recipient opens, and the sender reads back", async () => {
    const alice = await person();
    const bob = await person();
    const room = await openDm(alice, bob);
    expect(await openDm(bob, alice)).toBe(room);
    const ack = await sendDm(alice, bob, room, "hello bob, privately");
    expect(ack).toMatchObject({ type: "ack", seq: 1 });

    const msg = (await bob.ws.waitFor(
      (f) => f.type === "msg" && f.room === room,
    )) as ServerFrameOf<"msg">;
    expect(msg.body).toBe("");
    const opened = await read(bob.device, bob.ws, room, msg.envelope as Envelope);
    expect(opened).toMatchObject({ outcome: "opened", text: "hello bob, privately" });
    const mine = await read(alice.device, alice.ws, room, msg.envelope as Envelope);
    expect(mine).toMatchObject({ outcome: "opened", text: "hello bob, privately" });

    const list = await alice.ws.request<ServerFrameOf<"rooms">>({ type: "rooms" });
    expect(list.rooms.find((r) => r.id === room)).toMatchObject({
      kind: "dm",
      name: bob.account.user.name,
      head: 1,
    });
  });

  it("refuses plaintext in a DM, envelopes in a room, and envelopes bound to another room or sender", async () => {
    const alice = await person();
    const bob = await person();
    const carol = await person();
    const room = await openDm(alice, bob);
    const other = await openDm(alice, carol);
    expect(
      await alice.ws.request({ type: "send", room, cid: "p1", body: "plaintext!" }),
    ).toMatchObject({
      code: "SEALED_ONLY",
    });
    const forOther = await sealFor(alice, carol, other, "for carol", "p2");
    expect(
      await alice.ws.request({ type: "send", room, cid: "p2", envelope: forOther }),
    ).toMatchObject({
      code: "BAD_ENVELOPE",
    });
    const bobs = await sealFor(bob, alice, room, "from bob", "p3");
    expect(await alice.ws.request({ type: "send", room, cid: "p3", envelope: bobs })).toMatchObject(
      {
        code: "BAD_ENVELOPE",
      },
    );
    const publicRoom = (
      await alice.ws.request<ServerFrameOf<"created">>({
        type: "create",
        name: `pub${Date.now() % 1e6}`,
      })
    ).room.id;
    expect(
      await alice.ws.request({ type: "send", room: publicRoom, cid: "p4", envelope: forOther }),
    ).toMatchObject({
      code: "INVALID",
    });
    // Nobody else can join a DM, by id or by its internal name.
    expect(await carol.ws.request({ type: "join", room })).toMatchObject({
      code: "ROOM_NOT_FOUND",
    });
    // To an outsider a DM does not exist at all.
    expect(await carol.ws.request({ type: "history", room })).toMatchObject({
      code: "ROOM_NOT_FOUND",
    });
  });

  it("never writes the plaintext to the database file, its WAL or the logs", async () => {
    const alice = await person();
    const bob = await person();
    const room = await openDm(alice, bob);
    const secret = `the-launch-code-is-${crypto.randomUUID()}`;
    for (let i = 0; i < 5; i++)
      expect(await sendDm(alice, bob, room, `${secret} #${i}`)).toMatchObject({ type: "ack" });
    await bob.ws.waitForMessages(room, 5);
    const needle = Buffer.from("the-launch-code-is-");
    for (const file of ["parley.db", "parley.db-wal"]) {
      const bytes = readFileSync(join(server.dir, file));
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.indexOf(needle)).toBe(-1);
    }
    expect(server.logs.join("\n")).not.toContain("the-launch-code-is-");
    // The history the server hands out holds envelopes only.
    const history = await api<{ messages: { body: string; envelope?: unknown }[] }>(
      server.url,
      "GET",
      `/api/rooms/${room}/messages`,
      undefined,
      bob.account.token,
    );
    expect(history.body.messages.every((m) => m.body === "" && m.envelope !== undefined)).toBe(
      true,
    );
  });

  it("resumes DMs like rooms: exactly the missed messages, in order, all readable", async () => {
    const alice = await person();
    const bob = await person();
    const room = await openDm(alice, bob);
    await sendDm(alice, bob, room, "before");
    await bob.ws.waitForMessages(room, 1);
    await bob.ws.close();
    for (let i = 0; i < 30; i++) await sendDm(alice, bob, room, `while away ${i}`);
    const back = await connect(server.wsUrl, bob.account.token);
    await back.request({ type: "resume", rooms: [{ room, after: 1 }] });
    const got = back.messages(room);
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    const texts = await Promise.all(
      got.map((m) => read(bob.device, back, room, m.envelope as Envelope)),
    );
    expect(texts.map((t) => (t.outcome === "opened" ? t.text : t.outcome))).toEqual(
      Array.from({ length: 30 }, (_, i) => `while away ${i}`),
    );
    const retry = await alice.ws.request({
      type: "send",
      room,
      cid: "same",
      envelope: await sealFor(alice, bob, room, "once", "same"),
    });
    const again = await alice.ws.request({
      type: "send",
      room,
      cid: "same",
      envelope: await sealFor(alice, bob, room, "once", "same"),
    });
    expect(again).toMatchObject({
      type: "ack",
      duplicate: true,
      seq: (retry as ServerFrameOf<"ack">).seq,
    });
  });

  it("shows a flipped ciphertext bit as tampered, never as text", async () => {
    const alice = await person();
    const bob = await person();
    const room = await openDm(alice, bob);
    const envelope = await sealFor(alice, bob, room, "do not alter", "t1");
    const ct = envelope.ct;
    const flipped = { ...envelope, ct: (ct[5] === "A" ? "B" : "A") + ct.slice(1) };
    await alice.ws.request({ type: "send", room, cid: "t1", envelope: flipped });
    const msg = (await bob.ws.waitFor(
      (f) => f.type === "msg" && f.room === room,
    )) as ServerFrameOf<"msg">;
    const result = await read(bob.device, bob.ws, room, msg.envelope as Envelope);
    expect(result.outcome).toBe("tampered");
    expect(JSON.stringify(result)).not.toContain("do not alter");
  });

  it("lets a device added later read what is sent after it registered, not before", async () => {
    const alice = await person();
    const bob = await person();
    const room = await openDm(alice, bob);
    await alice.ws.request({ type: "join", room }).catch(() => {});
    await sendDm(alice, bob, room, "before the tablet");
    const tablet = await addDevice(bob);
    // Alice hears that Bob's devices changed, so she seals for the new one too.
    await alice.ws.waitFor(
      (f) => f.type === "devices_changed" && f.user.id === bob.account.user.id,
    );
    await sendDm(alice, bob, room, "after the tablet");
    const history = await tablet.ws.request<ServerFrameOf<"history">>({ type: "history", room });
    const results = await Promise.all(
      history.messages.map((m) => read(tablet.device, tablet.ws, room, m.envelope as Envelope)),
    );
    expect(results.map((r) => (r.outcome === "opened" ? r.text : r.outcome))).toEqual([
      "not-addressed",
      "after the tablet",
    ]);
  });
});

describe("device keys", () => {
  it("refuses a bundle that is badly signed or names someone else, and more than 10 devices", async () => {
    const alice = await person();
    const stranger = await createIdentity({ user: "999999" });
    expect(await alice.ws.request({ type: "device", bundle: stranger.bundle })).toMatchObject({
      code: "BAD_BUNDLE",
    });
    const mine = await createIdentity({ user: String(alice.account.user.id) });
    const forged = { ...mine.bundle, x25519: stranger.bundle.x25519 };
    expect(await alice.ws.request({ type: "device", bundle: forged })).toMatchObject({
      code: "BAD_BUNDLE",
    });
    for (let i = 0; i < 9; i++) {
      const d = await createIdentity({ user: String(alice.account.user.id) });
      expect(await alice.ws.request({ type: "device", bundle: d.bundle })).toMatchObject({
        type: "ok",
      });
    }
    const eleventh = await createIdentity({ user: String(alice.account.user.id) });
    expect(await alice.ws.request({ type: "device", bundle: eleventh.bundle })).toMatchObject({
      code: "TOO_MANY_DEVICES",
    });
    // Replacing an existing device's keys is not a new device.
    const again = await createIdentity({
      user: String(alice.account.user.id),
      device: alice.device.bundle.device,
    });
    expect(await alice.ws.request({ type: "device", bundle: again.bundle })).toMatchObject({
      type: "ok",
    });
  });

  it("keeps a signed device list, refusing a bad signature, an old version or another key without reset", async () => {
    const alice = await person();
    const user = String(alice.account.user.id);
    const key = await createAccountKey();
    const list = async (version: number, account = key, devices = [alice.device.bundle]) =>
      deviceListWire(await signDeviceList({ user, version, account, devices }));
    const publish = (l: unknown, reset?: boolean) =>
      alice.ws.request({ type: "device_list", list: l, ...(reset ? { reset } : {}) } as never);

    expect(await publish(await list(2))).toMatchObject({ type: "ok" });
    const v3 = await list(3);
    expect(await publish({ ...v3, version: 4 })).toMatchObject({ code: "BAD_DEVICE_LIST" });
    const bobs = deviceListWire(
      await signDeviceList({
        user: "999999",
        version: 5,
        account: key,
        devices: [(await createIdentity({ user: "999999" })).bundle],
      }),
    );
    expect(await publish(bobs)).toMatchObject({ code: "BAD_DEVICE_LIST" });
    expect(await publish(await list(1))).toMatchObject({ code: "STALE_DEVICE_LIST" });
    expect(await publish(await list(2))).toMatchObject({ code: "STALE_DEVICE_LIST" });
    const other = await createAccountKey();
    expect(await publish(await list(9, other))).toMatchObject({ code: "ACCOUNT_KEY_CHANGED" });
    expect(await publish(v3)).toMatchObject({ type: "ok" });

    const reply = await alice.ws.request<ServerFrameOf<"devices">>({
      type: "devices",
      users: [alice.account.user.id],
    });
    expect(reply.users[0]?.list).toEqual(v3);
    // A reset replaces the key; peers' clients announce it (tests/client/malicious-server.test.ts).
    expect(await publish(await list(1, other), true)).toMatchObject({ type: "ok" });
  });

  it("keeps a key backup only when the account key of the published list signed it", async () => {
    const alice = await person();
    const user = String(alice.account.user.id);
    const key = await createAccountKey();
    const keys = await recoveryKeys(createRecoveryKey());
    expect(await alice.ws.request({ type: "backup_add", item: "x" })).toMatchObject({
      code: "NO_BACKUP",
    });
    const info = await signBackupInfo({ user, keys, account: key });
    // No device list yet: nothing to check the signature against.
    expect(await alice.ws.request({ type: "backup_create", info })).toMatchObject({
      code: "BAD_BACKUP",
    });
    const list = await signDeviceList({
      user,
      version: 1,
      account: key,
      devices: [alice.device.bundle],
    });
    await alice.ws.request({ type: "device_list", list: deviceListWire(list) });
    const forged = await signBackupInfo({ user, keys, account: await createAccountKey() });
    expect(await alice.ws.request({ type: "backup_create", info: forged })).toMatchObject({
      code: "BAD_BACKUP",
    });
    expect(await alice.ws.request({ type: "backup_create", info })).toMatchObject({ type: "ok" });
    expect(await alice.ws.request({ type: "backup_add", item: "y".repeat(30_001) })).toMatchObject({
      code: "INVALID",
    });
    expect(await alice.ws.request({ type: "backup_add", item: "sealed" })).toMatchObject({
      type: "ok",
    });
    const page = await alice.ws.request<ServerFrameOf<"backup">>({ type: "backup_get" });
    expect(page).toMatchObject({ info, more: false, items: [{ item: "sealed" }] });
  });
});

describe("blocks and DM policy", () => {
  it("refuses DMs from a blocked user with a neutral error, until unblocked", async () => {
    const alice = await person();
    const bob = await person();
    const room = await openDm(alice, bob);
    const blocked = await bob.ws.request<ServerFrameOf<"contacts">>({
      type: "block",
      user: alice.account.user.name,
    });
    expect(blocked.blocked).toEqual([alice.account.user]);
    const refused = await sendDm(alice, bob, room, "can you hear me");
    expect(refused).toMatchObject({
      type: "error",
      code: "DM_REFUSED",
      message: "This person is not accepting your messages.",
    });
    // Bob still writes to Alice: a block is one-way.
    expect(await sendDm(bob, alice, room, "I can")).toMatchObject({ type: "ack" });
    await bob.ws.request({ type: "unblock", user: alice.account.user.name });
    expect(await sendDm(alice, bob, room, "now?")).toMatchObject({ type: "ack" });
  });

  it("lets a contacts-only user be written to by contacts only, with the same neutral error", async () => {
    const alice = await person();
    const bob = await person();
    const view = await bob.ws.request<ServerFrameOf<"contacts">>({
      type: "dm_policy",
      policy: "contacts",
    });
    expect(view.dmPolicy).toBe("contacts");
    const first = await alice.ws.request({ type: "dm", user: bob.account.user.name });
    expect(first).toMatchObject({
      type: "error",
      code: "DM_REFUSED",
      message: "This person is not accepting your messages.",
    });
    const added = await bob.ws.request<ServerFrameOf<"contacts">>({
      type: "contact_add",
      user: alice.account.user.name,
    });
    // Alice has not added Bob and shares no room with him: her status stays hidden from him.
    expect(added.contacts).toEqual([{ ...alice.account.user, status: "offline" }]);
    const room = await openDm(alice, bob);
    expect(await sendDm(alice, bob, room, "hi, contact")).toMatchObject({ type: "ack" });
    await bob.ws.request({ type: "contact_remove", user: alice.account.user.name });
    expect(await sendDm(alice, bob, room, "still?")).toMatchObject({ code: "DM_REFUSED" });
    expect(await alice.ws.request({ type: "dm", user: "nobody-by-this-name" })).toMatchObject({
      code: "USER_NOT_FOUND",
    });
    expect(await alice.ws.request({ type: "block", user: alice.account.user.name })).toMatchObject({
      code: "INVALID",
    });
  });
});
