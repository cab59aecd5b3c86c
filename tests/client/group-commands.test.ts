/**
 * Encrypted groups in the terminal (PTY): /group create, reading and sending in the group's
 * buffer, /edit, /react and /reply there (sealed), membership changes said as lines, /group
 * remove and /group listing the members.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { SealedChanges } from "../../src/client-core/sealed-changes.ts";
import { SecureGroups } from "../../src/client-core/secure-group.ts";
import type { Message } from "../../src/protocol/index.ts";
import { createRoom, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { spawnLoggedIn, terminalSuite } from "./pty.ts";
import { startDevice } from "./secure-device.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("groups in the interactive client", () => {
  const suite = terminalSuite();
  const { config, other } = suite;

  it("creates a group with /group create, sends and reads in it, and shows /group remove as a line", async () => {
    const alice = await register(suite.server.url, unique("al"));
    const bobAcc = await register(suite.server.url, unique("bo"));
    const carolAcc = await register(suite.server.url, unique("ca"));
    const start = unique("r");
    await createRoom(suite.server.url, alice.token, start);
    const bob = await startDevice(suite.server.url, bobAcc, other.path);
    const carol = await startDevice(suite.server.url, carolAcc, other.path);
    const bobGroups = new SecureGroups({ conn: bob.conn, dm: bob.dm });
    const carolGroups = new SecureGroups({ conn: carol.conn, dm: carol.dm });
    const bobTexts: string[] = [];
    const bobLines: string[] = [];
    const bobMessages: Message[] = [];
    bobGroups.on("message", (m, c) => {
      if (c.kind === "text") bobTexts.push(c.text);
      if (c.kind === "text") bobMessages.push(m);
    });
    const bobChanges: string[] = [];
    const bobSealed = new SealedChanges(
      bob.conn,
      { dm: bob.dm, groups: bobGroups },
      {
        change: (e, c) => bobChanges.push(`${e.kind} ${e.from.name} ${JSON.stringify(c)}`),
        problem: (text) => bobChanges.push(`problem ${text}`),
      },
    );
    bobGroups.on("membership", (c) => bobLines.push(c.text));
    const client = spawnLoggedIn(suite.server.url, alice, config.path);
    try {
      await client.waitFor(new RegExp(`#${start}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${start}`));
      const group = unique("g");
      client.type(`/group create ${group} ${bobAcc.user.name} ${carolAcc.user.name}\r`);
      await client.waitFor(new RegExp(`Created the group &${group}`));
      await client.waitFor(
        new RegExp(
          `${alice.user.name} created the group with ${bobAcc.user.name}, ${carolAcc.user.name}`,
        ),
      );
      await until(
        () => bob.conn.joinedRooms().some((r) => r.kind === "group"),
        "bob to receive the group",
      );
      client.type("hello from the terminal\r");
      await until(() => bobTexts.includes("hello from the terminal"), "bob to read alice");
      const room = bob.conn.joinedRooms().find((r) => r.kind === "group")?.id as number;
      bobGroups.send(room, "bob answers");
      await client.waitFor(/bob answers/);

      // Changes in a group go sealed, as in a DM, and come back opened.
      client.type("/edit hello from the terminal, edited\r");
      await until(
        () =>
          bobChanges.includes(`edit ${alice.user.name} {"body":"hello from the terminal, edited"}`),
        "bob to apply alice's edit",
      );
      client.type("/react 👍\r");
      await until(
        () => bobChanges.includes(`react ${alice.user.name} {"emoji":"👍","on":true}`),
        "bob to apply alice's reaction",
      );
      client.type("/reply sure thing\r");
      await until(() => bobTexts.includes("sure thing"), "bob to read the reply");
      const answered = bobMessages.find((m) => m.body === "bob answers")?.seq;
      expect(bobMessages.find((m) => m.body === "sure thing")?.reply?.seq).toBe(answered);
      await bobSealed.send(room, {
        kind: "edit",
        target: answered as number,
        body: "bob answers, edited",
      });
      await client.waitFor(/bob answers, edited/);
      expect(bobChanges.filter((c) => c.startsWith("problem"))).toEqual([]);

      client.type(`/group remove ${carolAcc.user.name}\r`);
      await client.waitFor(new RegExp(`${alice.user.name} removed ${carolAcc.user.name}`));
      await until(
        () => bobLines.includes(`${alice.user.name} removed ${carolAcc.user.name}`),
        "bob to see the removal",
      );
      client.type("/group\r");
      await client.waitFor(/Members \(2\)/);
      expect(bobLines[0]).toContain("created the group");
    } finally {
      client.proc.kill();
      bobSealed.close();
      bobGroups.close();
      carolGroups.close();
      bob.close();
      carol.close();
    }
  });
});
