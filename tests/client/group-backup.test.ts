/**
 * Group messages in the encrypted key backup (docs/e2ee.md 11 and 12): a new device of a member
 * that enters the recovery key reads the group's earlier messages; one that does not, cannot;
 * the server's store holds neither the texts nor the recovery key.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupSuite, joinedGroup, type Member, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const suite = groupSuite("group-backup");
const member = (account?: Member["account"]) => suite.member(account);

/** What a device shows of every stored message of the group, from a history page. */
async function shownBy(m: Member, room: number) {
  const page = await m.device.conn.history(room, { after: 0 });
  const out = [];
  for (const msg of page.messages) out.push((await m.groups.revealStored(msg))?.content);
  return out;
}

describe("group messages in the key backup", () => {
  it("lets a member's new device that enters the recovery key read earlier group messages; one without it cannot", async () => {
    const [alice, bob] = [await member(), await member()];
    const room = (await alice.groups.create(unique("g"), [nameOf(bob)])).id;
    await joinedGroup(bob, room);
    bob.groups.send(room, "sent before the backup");
    await until(() => alice.texts.includes("sent before the backup"), "the first message");
    const recovery = (await alice.device.dm.keyBackup?.create()) as string;
    // What came before the backup is taken from the groups' history.
    expect(await alice.groups.backUpHistory()).toBe(1);
    const secret = `group-vault-${crypto.randomUUID()}`;
    bob.groups.send(room, `${secret} (from bob)`);
    await until(() => alice.texts.includes(`${secret} (from bob)`), "alice to read bob");
    alice.groups.send(room, `${secret} (from alice)`);
    await until(() => alice.texts.includes(`${secret} (from alice)`), "alice to read her own");
    await alice.device.dm.keyBackup?.flush();

    // A new device without the recovery key: the earlier messages were not sealed for it.
    const stranger = await member(alice.account);
    expect(await shownBy(stranger, room)).toEqual([
      { kind: "not-addressed" },
      { kind: "not-addressed" },
      { kind: "not-addressed" },
    ]);

    // One that enters it reads them, and is linked by the backup's account key.
    const restored = await member(alice.account);
    const result = await restored.device.dm.keyBackup?.restore(recovery);
    expect(result).toMatchObject({ ok: true });
    expect(await shownBy(restored, room)).toEqual([
      { kind: "text", text: "sent before the backup" },
      { kind: "text", text: `${secret} (from bob)` },
      { kind: "text", text: `${secret} (from alice)` },
    ]);

    // The server's store and logs hold neither the texts nor the recovery key.
    for (const file of readdirSync(suite.server.dir)) {
      if (!file.startsWith("parley.db")) continue;
      const bytes = readFileSync(join(suite.server.dir, file));
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(recovery))).toBe(false);
    }
    expect(suite.server.logs.join("\n")).not.toContain(secret);
  });
});
