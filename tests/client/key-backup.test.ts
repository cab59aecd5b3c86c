import { afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import { formatRecoveryKey, parseRecoveryKey, sealBackupItem } from "../../src/crypto/index.ts";
import type { Message } from "../../src/protocol/index.ts";
import { register } from "../support/client.ts";
import { suiteDir, suiteServer } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { type Device, startDevice } from "./secure-device.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const server = suiteServer();
const dirs = suiteDir("parley-backup-");
const open: Device[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

async function device(account: Awaited<ReturnType<typeof register>>): Promise<Device> {
  const d = await startDevice(server.url, account, dirs.path);
  open.push(d);
  return d;
}

/** Every message of a DM as one device shows it, through history pages. */
async function shownBy(d: Device, room: number) {
  const page = await d.conn.history(room, { after: 0 });
  const out = [];
  for (const m of page.messages as Message[]) out.push(await d.dm.reveal(m, { dedupe: false }));
  return out.map((r) => r?.content);
}

describe("encrypted key backup", () => {
  it("lets a new device that enters the recovery key read earlier DMs and link itself; one without it cannot; the server holds neither", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice = await device(aliceAcc);
    const bob = await device(bobAcc);
    const room = await alice.dm.openDm(bobAcc.user.name);
    bob.dm.send(room.id, "sent before the backup");
    await until(() => alice.texts().includes("sent before the backup"), "the first DM");
    const recovery = (await alice.dm.keyBackup?.create()) as string;
    expect(parseRecoveryKey(recovery)).toBeDefined();
    // What came before the backup is taken from the history.
    expect(await alice.dm.backUpHistory()).toBe(1);

    const secret = `the-vault-code-is-${crypto.randomUUID()}`;
    bob.dm.send(room.id, `${secret} (from bob)`);
    await until(() => alice.texts().includes(`${secret} (from bob)`), "alice to read bob's DM");
    alice.dm.send(room.id, `${secret} (from alice)`);
    await until(() => alice.texts().includes(`${secret} (from alice)`), "alice to read her own");
    await alice.dm.keyBackup?.flush();

    // A device without the recovery key: unlinked, and the earlier DMs are not for it.
    const stranger = await device(aliceAcc);
    expect(await shownBy(stranger, room.id)).toEqual([
      { kind: "not-addressed" },
      { kind: "not-addressed" },
      { kind: "not-addressed" },
    ]);
    expect(await stranger.dm.keyBackup?.restore(formatRecoveryKey(new Uint8Array(32)))).toEqual({
      ok: false,
      reason: "wrong-key",
    });
    expect(await stranger.dm.keyBackup?.restore("not a key")).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(await shownBy(stranger, room.id)).toEqual([
      { kind: "not-addressed" },
      { kind: "not-addressed" },
      { kind: "not-addressed" },
    ]);

    // The server, which knows the public backup key, plants a wrong key for the same envelope.
    const page = await alice.conn.history(room.id, { after: 0 });
    const first = (page.messages[0] as Message).envelope;
    const info = JSON.parse((await server.store.keyBackup(aliceAcc.user.id)) as string);
    const planted = await sealBackupItem(info.key, [
      {
        c: `dm:${room.id}`,
        u: first?.from.u ?? "",
        d: first?.from.d ?? "",
        i: first?.id ?? "",
        k: "A".repeat(43),
      },
    ]);
    expect(await server.store.addBackupItem(aliceAcc.user.id, planted, Date.now(), 100)).toBe("ok");

    // A new device with the recovery key reads them, and the account key inside links it.
    const restored = await device(aliceAcc);
    expect(restored.dm.devices?.state).toBe("unlinked");
    expect(await restored.dm.keyBackup?.restore(recovery)).toEqual({
      ok: true,
      keys: 3,
      linked: true,
    });
    expect(restored.dm.devices?.state).toBe("linked");
    expect(await shownBy(restored, room.id)).toEqual([
      { kind: "text", text: "sent before the backup" },
      { kind: "text", text: `${secret} (from bob)` },
      { kind: "text", text: `${secret} (from alice)` },
    ]);
    // Linked without anyone's approval, so bob seals for it from now on.
    bob.dm.send(room.id, "after the restore");
    await until(() => restored.texts().includes("after the restore"), "the restored device");

    // The restored keys are kept on the device (a 0600 file, as its identity): after a restart
    // it still reads the earlier DMs without the recovery key being entered again.
    restored.close();
    const again = await startDevice(server.url, aliceAcc, dirs.path, restored.dir);
    open.push(again);
    expect(await shownBy(again, room.id)).toEqual([
      { kind: "text", text: "sent before the backup" },
      { kind: "text", text: `${secret} (from bob)` },
      { kind: "text", text: `${secret} (from alice)` },
      { kind: "text", text: "after the restore" },
    ]);
    const kept = deviceFiles(restored.dir, server.url, aliceAcc.user.id).restoredKeysPath;
    expect(statSync(kept).mode & 0o777).toBe(0o600);

    // The server's store, its WAL and its logs hold neither the text nor the recovery key.
    const bytes = parseRecoveryKey(recovery) as Uint8Array;
    const needles = [
      "the-vault-code-is-",
      recovery,
      recovery.replaceAll(" ", ""),
      Buffer.from(bytes).toString("base64"),
      Buffer.from(bytes).toString("hex"),
    ];
    for (const file of ["parley.db", "parley.db-wal"]) {
      const bytes = readFileSync(join(server.dir, file));
      for (const needle of needles) expect(bytes.indexOf(Buffer.from(needle))).toBe(-1);
    }
    for (const needle of needles) expect(server.logs.join("\n")).not.toContain(needle);
  });

  it("reads earlier DMs on a new device from a passphrase backup (argon2id); a wrong passphrase reads nothing", async () => {
    const aliceAcc = await register(server.url);
    const bobAcc = await register(server.url);
    const alice = await device(aliceAcc);
    const bob = await device(bobAcc);
    const room = await alice.dm.openDm(bobAcc.user.name);
    bob.dm.send(room.id, "before the passphrase backup");
    await until(() => alice.texts().includes("before the passphrase backup"), "the first DM");
    const phrase = `orbit lantern ${crypto.randomUUID()}`;
    expect(await alice.dm.keyBackup?.create({ passphrase: "too short" })).toBe(
      "passphrase-refused",
    );
    expect(typeof (await alice.dm.keyBackup?.create({ passphrase: phrase }))).toBe("string");
    expect(await alice.dm.backUpHistory()).toBe(1);

    const fresh = await device(aliceAcc);
    expect(await fresh.dm.keyBackup?.restore({ passphrase: "orbit lantern, but wrong" })).toEqual({
      ok: false,
      reason: "wrong-key",
    });
    expect(await fresh.dm.keyBackup?.restore({ passphrase: phrase })).toEqual({
      ok: true,
      keys: 1,
      linked: true,
    });
    expect(await shownBy(fresh, room.id)).toEqual([
      { kind: "text", text: "before the passphrase backup" },
    ]);
    for (const file of ["parley.db", "parley.db-wal"]) {
      const bytes = readFileSync(join(server.dir, file));
      expect(bytes.indexOf(Buffer.from(phrase))).toBe(-1);
    }
    expect(server.logs.join("\n")).not.toContain(phrase);
  });
});
