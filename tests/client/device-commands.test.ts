import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { createRoom, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { spawnLoggedIn, terminalSuite } from "./pty.ts";
import { startDevice } from "./secure-device.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("device commands in the interactive client", () => {
  const suite = terminalSuite();
  const { config, other } = suite;

  it("should link a new device by its code with /link, refuse a wrong code, and list both with /devices", async () => {
    const alice = await register(suite.server.url, unique("al"));
    const name = unique("r");
    await createRoom(suite.server.url, alice.token, name);
    // The terminal is alice's first device: it makes the account key.
    const client = spawnLoggedIn(suite.server.url, alice, config.path);
    try {
      await client.waitFor(new RegExp(`#${name}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${name}`));
      client.type("/devices\r");
      await client.waitFor(/holds the account key/);

      // A second installation: not linked, so it shows a code.
      const second = await startDevice(suite.server.url, alice, other.path);
      expect(second.dm.devices?.state).toBe("unlinked");
      const code = (await second.dm.devices?.myLinkCode()) as string;
      const device = second.dm.device as string;

      client.type("/link\r");
      await client.waitFor(new RegExp(`${device} shows code ${code}`));
      const wrong = code === "1111 1111 1111" ? "2222 2222 2222" : "1111 1111 1111";
      client.type(`/link ${device} ${wrong}\r`);
      await client.waitFor(/That is not .*code/);
      client.type(`/link ${device} ${code}\r`);
      await client.waitFor(new RegExp(`Linked ${device}`));

      expect((await second.dm.devices?.listed())?.devices).toContain(device);
      expect(second.dm.devices?.state).toBe("linked");
      client.type("/devices\r");
      await client.waitFor(new RegExp(`${device}`));
      second.close();
    } finally {
      client.proc.kill();
    }
  });
});
