import { describe, expect, it, setDefaultTimeout } from "bun:test";
import {
  createIdentity,
  type DeviceBundle,
  seal,
  type VerifiedBundle,
  verifyBundle,
} from "../../src/crypto/index.ts";
import { dmConversation, type ServerFrameOf } from "../../src/protocol/index.ts";
import { connect, createRoom, register, unique } from "../support/client.ts";
import { suiteDir, suiteServer } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { spawnLoggedIn } from "./pty.ts";
import { startDevice } from "./secure-device.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("the terminal's view of a device outside the signed list", () => {
  const server = suiteServer();
  const config = suiteDir("parley-config-");
  const bobDir = suiteDir("parley-bob-");

  it("should show a DM from a device bob's account did not sign as from an unverified device of bob, never its text", async () => {
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const name = unique("r");
    await createRoom(server.url, alice.token, name);
    const client = spawnLoggedIn(server.url, alice, config.path);
    const bobDevice = await startDevice(server.url, bob, bobDir.path);
    try {
      await client.waitFor(new RegExp(`#${name}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${name}`));
      client.type(`/msg ${bob.user.name} hello bob\r`);
      await until(() => bobDevice.texts().includes("hello bob"), "bob to read alice's DM");
      const room = bobDevice.conn.joinedRooms().find((r) => r.kind === "dm")?.id as number;

      // The server's own device for bob, and a message from it.
      const raw = await connect(server.wsUrl, bob.token);
      const rogue = await createIdentity({ user: String(bob.user.id) });
      await raw.request({ type: "device", bundle: rogue.bundle });
      const listed = await raw.request<ServerFrameOf<"devices">>({
        type: "devices",
        users: [alice.user.id],
      });
      const to: VerifiedBundle[] = [];
      for (const b of (listed.users[0]?.devices ?? []) as DeviceBundle[]) {
        const check = await verifyBundle(b);
        if (check.ok) to.push(check.bundle);
      }
      const cid = crypto.randomUUID();
      const iban = "send the wire to IBAN DE00 1234";
      const envelope = await seal({
        from: rogue,
        conversation: dmConversation(room),
        text: iban,
        id: cid,
        to,
      });
      expect(await raw.request({ type: "send", room, cid, envelope })).toMatchObject({
        type: "ack",
      });
      await raw.close();
      // The DM lands in its own buffer (2, beside the room): Alt-2 puts it on screen.
      await client.waitFor(new RegExp(`2:@${bob.user.name}\\(1\\)`));
      client.type("\x1b2");
      await client.waitFor(/from an unverified device of/);
      const screen = client.screen.lines().join(" ").replace(/\s+/g, " ");
      expect(screen).toContain(`from an unverified device of ${bob.user.name}`);
      expect(screen).not.toContain("IBAN");

      // The genuine device still speaks as bob.
      bobDevice.dm.send(room, "the real bob");
      await client.waitFor(new RegExp(`${bob.user.name}: the real bob`));
    } finally {
      client.proc.kill();
      bobDevice.close();
    }
  });
});
