import { Database } from "bun:sqlite";
import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import {
  createAccountKey,
  createIdentity,
  type DeviceBundle,
  deviceListWire,
  type Identity,
  importIdentity,
  seal,
  signDeviceList,
  type VerifiedBundle,
  verifyBundle,
} from "../../src/crypto/index.ts";
import { dmConversation, type Message, type ServerFrameOf } from "../../src/protocol/index.ts";
import { type Account, connect, register } from "../support/client.ts";
import { suiteDir, suiteServer } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { type Device, startDevice } from "./secure-device.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/**
 * The server turned hostile: it writes devices, device lists and envelopes straight into its
 * store, bypassing every check its handlers make, and relays them to the clients.
 */
const IBAN = "Bob here – new phone. Send the wire to IBAN DE00 1234 5678 9000";

const server = suiteServer();
const dirs = suiteDir("parley-malicious-");
const open: Device[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

async function device(account: Account, dir?: string): Promise<Device> {
  const d = await startDevice(server.url, account, dirs.path, dir);
  open.push(d);
  return d;
}

/** Alice and Bob, each with one device, who have exchanged a first DM. */
async function pair() {
  const aliceAcc = await register(server.url);
  const bobAcc = await register(server.url);
  const alice = await device(aliceAcc);
  const bob = await device(bobAcc);
  const room = await alice.dm.openDm(bobAcc.user.name);
  bob.dm.send(room.id, "hi alice, it's bob");
  await until(() => alice.texts().includes("hi alice, it's bob"), "the first DM");
  return { aliceAcc, bobAcc, alice, bob, room: room.id };
}

/** The devices the server lists for some users, verified (as a rogue sealer would use them). */
async function listed(token: string, ...users: number[]): Promise<VerifiedBundle[]> {
  const ws = await connect(server.wsUrl, token);
  const reply = await ws.request<ServerFrameOf<"devices">>({ type: "devices", users });
  await ws.close();
  const out: VerifiedBundle[] = [];
  for (const u of reply.users) {
    for (const b of u.devices as DeviceBundle[]) {
      const check = await verifyBundle(b);
      if (check.ok) out.push(check.bundle);
    }
  }
  return out;
}

/** A device the server invents for `account` and writes straight into its store. */
async function rogueDevice(account: Account): Promise<Identity> {
  const rogue = await createIdentity({ user: String(account.user.id) });
  const put = await server.store.putDevice(
    account.user.id,
    rogue.device,
    JSON.stringify(rogue.bundle),
    Date.now(),
    100,
  );
  expect(put).toBe("ok");
  return rogue;
}

/** An envelope from `from`, appended straight to the store as `sender`'s message. */
async function inject(
  sender: Account,
  from: Identity,
  room: number,
  text: string,
  to: VerifiedBundle[],
) {
  const cid = crypto.randomUUID();
  const envelope = await seal({ from, conversation: dmConversation(room), text, id: cid, to });
  const [stored] = await server.store.append([
    {
      room,
      sender: sender.user,
      cid,
      body: JSON.stringify(envelope),
      sealed: true,
      ts: Date.now(),
    },
  ]);
  if (!stored?.ok) throw new Error("the store refused the injected message");
  return { envelope, message: stored.message as Message };
}

/** Overwrites a user's stored device list in the database file, as the server itself could. */
function overwriteList(user: number, version: number, json: string): void {
  const db = new Database(join(server.dir, "parley.db"));
  try {
    db.run("PRAGMA busy_timeout = 5000");
    db.run("UPDATE device_lists SET version = ?, list = ? WHERE user_id = ?", [
      version,
      json,
      user,
    ]);
  } finally {
    db.close();
  }
}

/** A device's identity, read from its file: what that device itself could seal and sign with. */
async function identityOf(d: Device, account: Account): Promise<Identity> {
  const files = deviceFiles(d.dir, server.url, account.user.id);
  const imported = await importIdentity(JSON.parse(readFileSync(files.identityPath, "utf8")));
  if (!imported.ok) throw new Error("no identity");
  return imported.identity;
}

/** The account key of a device's identity file: what a device holding it could sign with. */
async function accountKeyOf(d: Device, account: Account): Promise<CryptoKeyPair> {
  const account_ = (await identityOf(d, account)).account;
  if (!account_) throw new Error("no account key");
  return account_;
}

describe("a malicious server", () => {
  it("never gets a device it adds shown as the peer: its messages, live or in history, are from an unverified device", async () => {
    const { aliceAcc, bobAcc, alice, room } = await pair();
    const rogue = await rogueDevice(bobAcc);

    // Relayed live, as bob's message, sealed for every device the server lists.
    const to = await listed(aliceAcc.token, aliceAcc.user.id, bobAcc.user.id);
    const raw = await connect(server.wsUrl, bobAcc.token);
    const cid = crypto.randomUUID();
    const envelope = await seal({
      from: rogue,
      conversation: dmConversation(room),
      text: IBAN,
      id: cid,
      to,
    });
    expect(await raw.request({ type: "send", room, cid, envelope })).toMatchObject({ type: "ack" });
    await raw.close();
    await until(
      () => alice.got.some((g) => g.content.kind === "unverified-device"),
      "alice to receive the rogue device's DM",
    );
    const live = alice.got.find((g) => g.content.kind === "unverified-device");
    expect(live?.content).toEqual({ kind: "unverified-device", text: IBAN, device: rogue.device });
    expect(live?.message.body).toBe("");
    expect(alice.texts()).not.toContain(IBAN);
    expect(
      alice.keys.some((k) => k.observation.kind === "unlisted-device" && k.device === rogue.device),
    ).toBe(true);

    // Written straight into the store and read as a history page: the same.
    const { message } = await inject(bobAcc, rogue, room, `${IBAN} (again)`, to);
    const opened = await alice.dm.reveal(message, { dedupe: false });
    expect(opened?.content.kind).toBe("unverified-device");
    expect(opened?.message.body).toBe("");

    // Nothing alice sends is sealed for the rogue device.
    alice.dm.send(room, "reply to bob");
    await until(() => alice.texts().includes("reply to bob"), "alice's reply");
    const page = await alice.conn.history(room, { after: 0 });
    const last = page.messages.at(-1);
    expect(last?.envelope?.to.some((r) => r.d === rogue.device)).toBe(false);
  });

  it("has a device list signed by a key of its own announced as a changed identity, with sends held", async () => {
    const { aliceAcc, bobAcc, alice, bob, room } = await pair();
    const rogue = await rogueDevice(bobAcc);
    const forged = await signDeviceList({
      user: String(bobAcc.user.id),
      version: 99,
      account: await createAccountKey(),
      devices: [rogue.bundle],
    });
    const put = await server.store.putDeviceList(
      bobAcc.user.id,
      forged.key,
      forged.version,
      JSON.stringify(deviceListWire(forged)),
      Date.now(),
      true,
    );
    expect(put).toBe("ok");

    const to = await listed(aliceAcc.token, aliceAcc.user.id, bobAcc.user.id);
    const { message } = await inject(bobAcc, rogue, room, IBAN, to);
    const opened = await alice.dm.reveal(message, { dedupe: false });
    expect(opened?.content.kind).toBe("unverified-device");
    expect(alice.keys.some((k) => k.observation.kind === "identity-changed")).toBe(true);
    expect(alice.dm.trustOf(bobAcc.user.name)).toBe("changed");

    alice.dm.send(room, "the account number?");
    await until(() => alice.held.includes("the account number?"), "alice's DM to be held");
    expect(bob.texts()).not.toContain("the account number?");
  });

  it("is caught rolling a device list back to an older version, or forking it at the same one", async () => {
    const { bobAcc, alice, bob, room } = await pair();
    const [v1] = [...(await server.store.deviceListsOf([bobAcc.user.id])).values()];
    // Bob approves his second device: version 2, which alice sees when she next sends.
    const bob2 = await device(bobAcc);
    const code = await bob2.dm.devices?.myLinkCode();
    expect(await bob.dm.devices?.approve(bob2.dm.device as string, code as string)).toBe(
      "approved",
    );
    alice.dm.send(room, "to both of your devices");
    await until(() => bob2.texts().includes("to both of your devices"), "bob's second device");

    // The server puts version 1 back, hiding bob's second device from whoever asks next.
    overwriteList(bobAcc.user.id, 1, v1 as string);
    alice.dm.send(room, "still to both?");
    await until(
      () => alice.keys.some((k) => k.observation.kind === "rollback"),
      "alice to detect the rollback",
    );
    // She kept the newer list: the second device still reads what she sends.
    await until(() => bob2.texts().includes("still to both?"), "bob's second device again");

    // A different list at version 2, validly signed by bob's account key (a second signer).
    const fork = await signDeviceList({
      user: String(bobAcc.user.id),
      version: 2,
      account: await accountKeyOf(bob, bobAcc),
      devices: [(await createIdentity({ user: String(bobAcc.user.id) })).bundle],
    });
    overwriteList(bobAcc.user.id, 2, JSON.stringify(deviceListWire(fork)));
    alice.dm.send(room, "and now?");
    await until(() => alice.keys.some((k) => k.observation.kind === "fork"), "the fork");
    await until(() => bob2.texts().includes("and now?"), "bob's second device, still accepted");
    expect(alice.held).toEqual([]);
  });

  it("is caught replaying an envelope under a new seq, live or in history, even after a restart", async () => {
    const { aliceAcc, bobAcc, alice, bob, room } = await pair();
    bob.dm.send(room, "send 10 EUR to carol");
    await until(() => alice.texts().includes("send 10 EUR to carol"), "the genuine DM");
    const page = await alice.conn.history(room, { after: 0 });
    const original = page.messages.find((m) => m.seq === 2) as Message;

    // The server appends the same envelope again (under another cid of its own), then relays it
    // in the gap before bob's next message.
    const [copy] = await server.store.append([
      {
        room,
        sender: bobAcc.user,
        cid: crypto.randomUUID(),
        body: JSON.stringify(original.envelope),
        sealed: true,
        ts: Date.now(),
      },
    ]);
    if (!copy?.ok || !copy.message) throw new Error("the store refused the copy");
    bob.dm.send(room, "next");
    await until(() => alice.texts().includes("next"), "bob's next DM, after the gap");
    const flagged = alice.got.find((g) => g.seq === copy.message.seq);
    expect(flagged?.content).toEqual({ kind: "replay", firstSeq: 2 });
    expect(flagged?.message.body).toBe("");
    expect(alice.texts().filter((t) => t === "send 10 EUR to carol").length).toBe(1);

    // A restart of alice's device remembers (the key book holds it), and history pages are
    // checked too: the original opens as it was, the copy is flagged.
    alice.close();
    const again = await device(aliceAcc, alice.dir);
    const reloaded = await again.conn.history(room, { after: 0 });
    const shown = [];
    for (const m of reloaded.messages) shown.push(await again.dm.reveal(m, { dedupe: false }));
    expect(shown.map((r) => r?.content.kind)).toEqual(["text", "text", "replay", "text"]);
    expect(shown[1]?.content).toMatchObject({ text: "send 10 EUR to carol" });
  });

  it("shows a DM at its signed time, and says so when the server's time differs by minutes", async () => {
    const { aliceAcc, bobAcc, alice, bob, room } = await pair();
    const signed = Date.now() - 30 * 60_000;
    const bobDevice = await identityOf(bob, bobAcc);
    const to = await listed(aliceAcc.token, aliceAcc.user.id, bobAcc.user.id);
    const cid = crypto.randomUUID();
    const envelope = await seal({
      from: bobDevice,
      conversation: dmConversation(room),
      text: "written half an hour ago",
      id: cid,
      to,
      now: () => signed,
    });
    const [stored] = await server.store.append([
      {
        room,
        sender: bobAcc.user,
        cid,
        body: JSON.stringify(envelope),
        sealed: true,
        ts: Date.now(),
      },
    ]);
    if (!stored?.ok || !stored.message) throw new Error("refused");
    const opened = await alice.dm.reveal(stored.message, { dedupe: false });
    expect(opened?.message.ts).toBe(signed);
    expect(opened?.content).toEqual({
      kind: "text",
      text: "written half an hour ago",
      serverTs: stored.message.ts,
    });
    // A DM whose times agree carries no warning.
    const normal = alice.got.find((g) => g.content.kind === "text");
    expect(normal?.content).toEqual({ kind: "text", text: "hi alice, it's bob" });
  });
});
