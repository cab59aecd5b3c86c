/**
 * Changes to encrypted DMs in the terminal client, through a PTY: /react, /reply, /edit and
 * /delete in a DM go sealed and reach the peer's device opened; the peer's sealed edits and
 * reactions show in the DM; a message deleted while still unread leaves the activity bar.
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { EventContent } from "../../src/client-core/message-state.ts";
import { SealedChanges } from "../../src/client-core/sealed-changes.ts";
import type { RoomEvent } from "../../src/protocol/index.ts";
import { createRoom, register, unique } from "../support/client.ts";
import { startTestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { saveLoginIn, spawnClient } from "./pty.ts";
import { startDevice } from "./secure-device.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("the terminal client's encrypted DMs", () => {
  const config = tempDir("parley-config-");
  const devices = tempDir("parley-devices-");
  afterAll(() => {
    config.remove();
    devices.remove();
  });

  it("should react, reply, edit and delete in a DM, sealed, and show the peer's sealed changes", async () => {
    const server = await startTestServer({ rate: 10_000, burst: 10_000 });
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const lounge = unique("lounge");
    await createRoom(server.url, alice.token, lounge);
    saveLoginIn(config.path, server.url, alice, lounge);
    const bobDevice = await startDevice(server.url, bob, devices.path);
    const seen: { e: RoomEvent; content: EventContent }[] = [];
    const bobChanges = new SealedChanges(
      bobDevice.conn,
      { dm: bobDevice.dm },
      {
        change: (e, content) => seen.push({ e, content }),
        problem: (text) => {
          throw new Error(`bob's device could not trust a change: ${text}`);
        },
      },
    );
    const client = spawnClient(
      ["--server", server.url],
      { XDG_CONFIG_HOME: config.path },
      { cols: 110, rows: 30 },
    );
    try {
      await client.waitFor(new RegExp(`You are in #${lounge}`));
      client.type(`/msg ${bob.user.name} hello privately\r`);
      await until(() => bobDevice.texts().includes("hello privately"), "bob to read the DM");
      const room = bobDevice.got[0]?.room as number;
      bobDevice.dm.send(room, "pick a time");
      await until(() => bobDevice.texts().includes("pick a time"), "bob's own DM, stored");
      client.type(`/dm ${bob.user.name}\r`);
      await client.waitFor(new RegExp(`${bob.user.name}: pick a time`));

      // React to bob's message: sealed, and bob's device opens it.
      client.type("/react :tada:\r");
      await client.waitFor(/🎉 1/);
      await until(() => seen.length === 1, "bob to open the reaction");
      expect(seen[0]).toMatchObject({
        e: { kind: "react", target: 2, from: { id: alice.user.id } },
        content: { emoji: "🎉", on: true },
      });
      expect(seen[0]?.e.emoji).toBeUndefined();

      // Reply to it, quoting it from what the client shows (the server cannot read it).
      client.type("/reply see you at 3\r");
      await until(() => bobDevice.texts().includes("see you at 3"), "bob to read the reply");
      const reply = bobDevice.got.at(-1)?.message;
      expect(reply?.reply).toMatchObject({ seq: 2, excerpt: "" });
      const replySeq = reply?.seq as number;
      await client.waitFor(new RegExp(`↳ ${bob.user.name}: pick a time`));

      // Edit it, then delete the first one ("^2": the second newest of one's own).
      client.type("/edit see you at 4\r");
      await client.waitFor(/see you at 4 \(edited\)/);
      client.type("/delete ^2\r");
      await client.waitFor(/message deleted/);
      await until(() => seen.length === 3, "bob to open the edit and the delete");
      expect(seen.slice(1).map((s) => [s.e.kind, s.e.target, s.content.body])).toEqual([
        ["edit", replySeq, "see you at 4"],
        ["delete", 1, undefined],
      ]);
      expect(client.screen.text()).not.toMatch(/hello privately/);

      // Bob's sealed edit and reaction show in alice's DM.
      await bobChanges.send(room, { kind: "edit", target: 2, body: "pick any time" });
      await bobChanges.send(room, { kind: "react", target: replySeq, emoji: "👀", on: true });
      await client.waitFor(new RegExp(`${bob.user.name}: pick any time \\(edited\\)`));
      await client.waitFor(/see you at 4 \(edited\)\s+👀 1/);

      // Away from the DM, a message bob sends counts as unread; deleted, it counts no more.
      client.type(`/switch #${lounge}\r`);
      await client.waitFor(new RegExp(`\\[1:#${lounge}\\]`));
      bobDevice.dm.send(room, "never mind this");
      await client.waitFor(new RegExp(`2:@${bob.user.name}\\(1\\)`));
      await until(() => bobDevice.texts().includes("never mind this"), "bob's message, stored");
      const seq = bobDevice.got.find((g) => g.message.body === "never mind this")?.seq as number;
      await bobChanges.send(room, { kind: "delete", target: seq });
      await client.waitFor(new RegExp(`2:@${bob.user.name}(?!\\()`));
      expect(client.screen.text()).not.toMatch(new RegExp(`@${bob.user.name}\\(1\\)`));
    } finally {
      client.proc.kill();
      bobChanges.close();
      bobDevice.close();
      await server.close();
    }
  });
});
