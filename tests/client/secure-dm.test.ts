import { afterAll, afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { type DmContent, type KeyChange, SecureDm } from "../../src/client-core/secure-dm.ts";
import { createIdentity, type DeviceBundle, seal, verifyBundle } from "../../src/crypto/index.ts";
import { dmConversation, type Message, type ServerFrameOf } from "../../src/protocol/index.ts";
import { type Account, api, connect, register } from "../support/client.ts";
import { spawnServer, suiteDir, suiteServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { runParley } from "./cli.ts";
import { until } from "./gated-clock.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

/** One client installation: a connection, its encryption and its own config directory. */
interface Device {
  conn: Connection;
  dm: SecureDm;
  dir: string;
  got: { from: string; seq: number; room: number; content: DmContent }[];
  keys: KeyChange[];
  held: string[];
  texts(): string[];
}

const cleanups: (() => void)[] = [];
const dirs = tempDir("parley-devices-");
afterAll(() => dirs.remove());
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

let counter = 0;
async function device(server: string, account: Account, dir?: string): Promise<Device> {
  const home = dir ?? join(dirs.path, `d${++counter}`);
  const conn = new Connection({ server, token: account.token });
  const files = deviceFiles(home, server, account.user.id);
  const dm = new SecureDm({ conn, identities: files.identities, keyBook: files.keyBook });
  const d: Device = {
    conn,
    dm,
    dir: home,
    got: [],
    keys: [],
    held: [],
    texts: () => d.got.flatMap((g) => (g.content.kind === "text" ? [g.content.text] : [])),
  };
  dm.on("message", (m: Message, content) =>
    d.got.push({ from: m.from.name, seq: m.seq, room: m.room, content }),
  );
  dm.on("keys", (k) => d.keys.push(k));
  dm.on("held", (_peer, body) => d.held.push(body));
  conn.start();
  expect(await dm.start()).toEqual({ ok: true });
  cleanups.push(() => {
    dm.close();
    conn.close();
  });
  return d;
}

async function storedDm(base: string, token: string, room: number) {
  const res = await api<{ messages: Message[] }>(
    base,
    "GET",
    `/api/rooms/${room}/messages?after=0&limit=200`,
    undefined,
    token,
  );
  return res.body.messages;
}

describe("end-to-end encrypted DMs through the connection layer", () => {
  const server = suiteServer();

  it("should deliver a DM between two clients that both can read, with 0600 key files and only ciphertext on the server", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice = await device(server.url, aliceAcc);
    const bob = await device(server.url, bobAcc);

    const room = await alice.dm.openDm(bobAcc.user.name);
    expect(room).toMatchObject({ kind: "dm", name: bobAcc.user.name });
    alice.dm.send(room.id, "hello bob, privately");
    // Bob never asked for this DM: it reaches him through dm_opened.
    await until(() => bob.texts().includes("hello bob, privately"), "bob to read alice's DM");
    await until(() => alice.texts().includes("hello bob, privately"), "alice to read her own");
    expect(bob.got[0]).toMatchObject({ from: aliceAcc.user.name, room: room.id, seq: 1 });

    bob.dm.send(room.id, "hi alice 🔐");
    await until(() => alice.texts().includes("hi alice 🔐"), "alice to read bob's reply");
    expect(alice.got.map((g) => g.seq)).toEqual([1, 2]);

    const stored = await storedDm(server.url, bobAcc.token, room.id);
    expect(stored.map((m) => m.body)).toEqual(["", ""]);
    expect(stored.every((m) => m.envelope?.id === m.cid)).toBe(true);

    const files = deviceFiles(alice.dir, server.url, aliceAcc.user.id);
    for (const path of [files.identityPath, files.keyBookPath]) {
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
  });

  it("should announce a peer's reset account key and hold messages to them until trusted", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice = await device(server.url, aliceAcc);
    const bob = await device(server.url, bobAcc);
    const room = await alice.dm.openDm(bobAcc.user.name);
    alice.dm.send(room.id, "first");
    await until(() => bob.texts().includes("first"), "the first DM");
    const before = await alice.dm.safetyNumberWith(bobAcc.user.name);

    // Bob reinstalls: a new config directory, so a new device without the account key. It is
    // not linked, so it may not send, until Bob resets his account key on it.
    bob.dm.close();
    bob.conn.close();
    const bob2 = await device(server.url, bobAcc);
    expect(bob2.dm.devices?.state).toBe("unlinked");
    await bob2.dm.devices?.resetAccount();
    expect(bob2.dm.devices?.state).toBe("linked");
    await until(
      () => alice.keys.some((k) => k.observation.kind === "identity-changed"),
      "alice to be told bob's account key changed",
    );
    expect(alice.keys.find((k) => k.observation.kind === "identity-changed")).toMatchObject({
      user: { id: bobAcc.user.id },
      self: false,
      observation: { trust: "changed" },
    });

    // A reply to the first: held, it stays a reply when it goes.
    alice.dm.send(room.id, "is that really you?", undefined, 1);
    await until(() => alice.held.includes("is that really you?"), "the DM to be held");
    expect((await storedDm(server.url, aliceAcc.token, room.id)).length).toBe(1);

    // Comparing safety numbers: both sides compute the same one, over the new account key.
    const a = await alice.dm.safetyNumberWith(bobAcc.user.name);
    bob2.dm.peerOf(room.id) ?? (await bob2.dm.openDm(aliceAcc.user.name));
    const b = await bob2.dm.safetyNumberWith(aliceAcc.user.name);
    expect(a).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(a).toBe(b as string);
    expect(a).not.toBe(before as string);
    expect(await alice.dm.markVerified(bobAcc.user.name)).toBe("updated");
    expect(alice.dm.trustOf(bobAcc.user.name)).toBe("verified");
    await until(() => bob2.texts().includes("is that really you?"), "bob's new device to read it");
    const stored = await storedDm(server.url, aliceAcc.token, room.id);
    expect(stored.at(-1)?.reply?.seq).toBe(1);
  });

  it("should show a tampered envelope as tampered, never as text", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice = await device(server.url, aliceAcc);
    const room = await alice.dm.openDm(bobAcc.user.name);

    // Bob on a raw socket: a valid device, and an envelope with one ciphertext character changed.
    const raw = await connect(server.wsUrl, bobAcc.token);
    const bobDevice = await createIdentity({ user: String(bobAcc.user.id) });
    await raw.request({ type: "device", bundle: bobDevice.bundle });
    const listed = await raw.request<ServerFrameOf<"devices">>({
      type: "devices",
      users: [aliceAcc.user.id],
    });
    const to = [];
    for (const b of (listed.users[0]?.devices ?? []) as DeviceBundle[]) {
      const check = await verifyBundle(b);
      if (check.ok) to.push(check.bundle);
    }
    const cid = crypto.randomUUID();
    const envelope = await seal({
      from: bobDevice,
      conversation: dmConversation(room.id),
      text: "the secret plan",
      to,
      id: cid,
    });
    const flipped = envelope.ct.startsWith("A")
      ? `B${envelope.ct.slice(1)}`
      : `A${envelope.ct.slice(1)}`;
    const ack = await raw.request({
      type: "send",
      room: room.id,
      cid,
      envelope: { ...envelope, ct: flipped },
    });
    expect(ack).toMatchObject({ type: "ack" });

    await until(() => alice.got.length === 1, "alice to receive the tampered DM");
    expect(alice.got[0]?.content).toEqual({ kind: "tampered", reason: "signature" });
    expect(alice.texts()).toEqual([]);
    await raw.close();
  });

  it("should let a second device read what is sent once a linked device approved it by its code", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice1 = await device(server.url, aliceAcc);
    const bob = await device(server.url, bobAcc);
    const room = await bob.dm.openDm(aliceAcc.user.name);
    bob.dm.send(room.id, "before the new device");
    await until(() => alice1.texts().includes("before the new device"), "alice's first device");
    const safety = await bob.dm.safetyNumberWith(aliceAcc.user.name);

    const alice2 = await device(server.url, aliceAcc);
    expect(alice2.dm.devices?.state).toBe("unlinked");
    // Both are told the server lists a device alice's account has not signed.
    await until(() => bob.keys.length > 0 && alice1.keys.length > 0, "both to be told");
    expect(bob.keys[0]).toMatchObject({ observation: { kind: "unlisted-device" } });
    expect(alice1.keys[0]).toMatchObject({ self: true, observation: { kind: "unlisted-device" } });

    // Until approved, nothing is sealed for it and it may not send.
    bob.dm.send(room.id, "while it waits");
    await until(() => alice1.texts().includes("while it waits"), "alice's first device");
    await until(
      () => alice2.got.some((g) => g.content.kind === "not-addressed" && g.seq === 2),
      "the waiting device to be told it cannot read it",
    );

    // Alice compares the code her new device shows with the one her first device lists.
    const code = (await alice2.dm.devices?.myLinkCode()) as string;
    expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
    const pending = (await alice1.dm.devices?.pending()) ?? [];
    expect(pending).toEqual([{ device: alice2.dm.device as string, code }]);
    expect(await alice1.dm.devices?.approve(alice2.dm.device as string, "0000 0000 0000")).toBe(
      code === "0000 0000 0000" ? "approved" : "code-mismatch",
    );
    expect(await alice1.dm.devices?.approve(alice2.dm.device as string, code)).toBe("approved");
    await until(
      () => bob.keys.some((k) => k.observation.kind === "device-added"),
      "bob to learn of the signed new device",
    );
    expect(bob.dm.trustOf(aliceAcc.user.name)).toBe("unverified");
    // The safety number covers the account key, so a new device of alice's leaves it as it was.
    expect(await bob.dm.safetyNumberWith(aliceAcc.user.name)).toBe(safety as string);

    bob.dm.send(room.id, "after the new device");
    await until(() => alice2.texts().includes("after the new device"), "the new device to read it");
    await until(() => alice1.texts().includes("after the new device"), "the old device to read it");
    expect(bob.held).toEqual([]);

    // The new device cannot read what was sealed before it was approved, and says so neutrally.
    const page = await alice2.conn.history(room.id, { after: 0 });
    const first = await alice2.dm.reveal(page.messages[0] as Message, { dedupe: false });
    expect(first?.content).toEqual({ kind: "not-addressed" });

    alice2.dm.send(room.id, "from my new device");
    await until(() => bob.texts().includes("from my new device"), "bob to read it as alice's");
    await until(() => alice1.texts().includes("from my new device"), "her other device too");
  });
});

describe("parley send --to", () => {
  const server = suiteServer();
  const config = suiteDir("parley-config-");

  it("should seal a private message from a script that the recipient's device opens", async () => {
    const botAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const bob = await device(server.url, bobAcc);
    const env = { ...process.env, XDG_CONFIG_HOME: config.path };
    const login = await runParley(
      ["login", "--server", server.url, "--user", botAcc.user.name, "--password-stdin"],
      env,
      "correct horse\n",
    );
    expect(login.code).toBe(0);
    const sent = await runParley(["send", "--to", bobAcc.user.name, "build 42 passed"], env);
    expect(sent).toMatchObject({ code: 0, stderr: "" });
    await until(() => bob.texts().includes("build 42 passed"), "bob to read the script's DM");
    // A second run reuses the same device: bob is told of no new keys.
    expect((await runParley(["send", "--to", bobAcc.user.name, "again"], env)).code).toBe(0);
    await until(() => bob.texts().includes("again"), "the second DM");
    expect(bob.keys).toEqual([]);
    const files = deviceFiles(join(config.path, "parley"), server.url, botAcc.user.id);
    expect(statSync(files.identityPath).mode & 0o777).toBe(0o600);
  }, 60_000);
});

describe("DMs across a server crash", () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it("should resume DMs after SIGKILL and restart with nothing lost or repeated", async () => {
    const db = join(dir.path, "parley.db");
    let server = await spawnServer({ db });
    const port = Number(new URL(server.url).port);
    try {
      const aliceAcc = await register(server.url);
      const bobAcc = await register(server.url);
      const alice = await device(server.url, aliceAcc);
      const bob = await device(server.url, bobAcc);
      const room = await alice.dm.openDm(bobAcc.user.name);
      alice.dm.send(room.id, "a0");
      await until(() => bob.texts().includes("a0"), "the first DM");

      await server.kill();
      await until(() => alice.conn.state === "reconnecting", "alice to notice");
      for (const t of ["a1", "a2", "a3"]) alice.dm.send(room.id, t);
      for (const t of ["b1", "b2"]) bob.dm.send(room.id, t);
      expect(alice.conn.pending().map((i) => i.body)).toEqual(["a1", "a2", "a3"]);

      server = await spawnServer({ db, port });
      const all = ["a0", "a1", "a2", "a3", "b1", "b2"];
      for (const d of [alice, bob]) {
        await until(
          () => all.every((t) => d.texts().includes(t)),
          "every DM on both sides",
          40_000,
        );
      }
      const stored = await storedDm(server.url, aliceAcc.token, room.id);
      expect(stored.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(new Set(stored.map((m) => m.cid)).size).toBe(6);
      for (const d of [alice, bob]) {
        expect([...d.texts()].sort()).toEqual(all);
        expect(d.got.map((g) => g.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      }
    } finally {
      await server.kill();
    }
  }, 60_000);
});
