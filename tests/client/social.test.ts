import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { SecureDm } from "../../src/client-core/secure-dm.ts";
import type { Message } from "../../src/protocol/index.ts";
import { api, connect, createRoom, joinRoom, register, unique } from "../support/client.ts";
import { suiteDir, suiteServer } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { spawnLoggedIn } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("people in the interactive client", () => {
  const server = suiteServer();
  const config = suiteDir("parley-config-");
  const bobDir = suiteDir("parley-bob-");

  it("should show joins, typing that expires, statuses in /who, hide a blocked user, and exchange encrypted DMs", async () => {
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const carol = await register(server.url, unique("ca"));
    const dave = await register(server.url, unique("da"));
    const erin = await register(server.url, unique("er"));
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    for (const who of [bob, carol, dave]) await joinRoom(server.url, who.token, room);

    // Alice is logged in already: the client goes straight to the room picker.
    const client = spawnLoggedIn(server.url, alice, config.path);
    const bobConn = new Connection({ server: server.url, token: bob.token });
    const files = deviceFiles(bobDir.path, server.url, bob.user.id);
    const bobDm = new SecureDm({
      conn: bobConn,
      identities: files.identities,
      keyBook: files.keyBook,
    });
    const bobRead: string[] = [];
    bobDm.on("message", (_m: Message, c) => {
      if (c.kind === "text") bobRead.push(c.text);
    });
    const carolWs = await connect(server.wsUrl, carol.token);
    try {
      await client.waitFor(new RegExp(`#${name}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${name}`));
      bobConn.start();
      expect(await bobDm.start()).toEqual({ ok: true });
      await bobConn.join(name, { from: "head" });

      // A live join notice.
      await joinRoom(server.url, erin.token, room);
      await client.waitFor(new RegExp(`${erin.user.name} joined`));

      // Typing shows on the status row, and goes after about 6 s without a message.
      bobConn.notify({ type: "typing", room });
      await client.waitFor(new RegExp(`${bob.user.name} is typing…`));
      await waitGone(client.screen.text.bind(client.screen), /is typing…/, 20_000);

      // Statuses: carol away, dave never connected, bob online.
      await carolWs.request({ type: "join", room });
      await carolWs.request({ type: "status", status: "away" });
      client.type("/who\r");
      await client.waitFor(/Members of #/);
      // The note may wrap: read it as one line.
      const who = client.screen.lines().join(" ").replace(/\s+/g, " ");
      expect(who).toContain(`${bob.user.name} (online)`);
      expect(who).toContain(`${carol.user.name} (away)`);
      expect(who).toContain(`${dave.user.name} (offline)`);

      // Blocking carol hides her room messages; bob's still show.
      client.type(`/block ${carol.user.name}\r`);
      await client.waitFor(new RegExp(`You block ${carol.user.name}`));
      await carolWs.request({ type: "send", room, cid: "c1", body: "carol should be hidden" });
      bobConn.send(room, "bob is visible");
      await client.waitFor(/bob is visible/);
      expect(client.screen.text()).not.toContain("carol should be hidden");
      // What was shown is marked read: the server counts nothing unread for alice.
      await untilAsync(async () => {
        const list = await api<{ rooms: { id: number; unread: number }[] }>(
          server.url,
          "GET",
          "/api/rooms",
          undefined,
          alice.token,
        );
        return list.body.rooms.find((r) => r.id === room)?.unread === 0;
      }, "alice's read marker to reach the last message");

      // A private message, sealed by the client and opened by bob's device; and his answer.
      client.type(`/msg ${bob.user.name} hello privately\r`);
      await until(() => bobRead.includes("hello privately"), "bob to read alice's DM");
      const dm = bobConn.joinedRooms().find((r) => r.kind === "dm");
      expect(dm).toBeDefined();
      bobDm.send(dm?.id as number, "secret answer");
      // It waits in the DM's own buffer, counted in the activity bar, until that is shown.
      await client.waitFor(new RegExp(`2:@${bob.user.name}\\(1\\)`));
      expect(client.screen.text()).not.toContain("secret answer");

      // In the DM itself, the answer shows, and the peer's typing too.
      client.type(`/dm ${bob.user.name}\r`);
      await client.waitFor(/Private conversation with .*end-to-end encrypted/);
      await client.waitFor(new RegExp(`${bob.user.name}: secret answer`));
      await client.waitFor(new RegExp(`\\[2:@${bob.user.name}\\]`));
      bobConn.notify({ type: "typing", room: dm?.id as number });
      await client.waitFor(new RegExp(`@${bob.user.name} · ${bob.user.name} is typing…`));

      client.type("/quit\r");
      expect(await client.proc.exited).toBe(0);
      const mine = deviceFiles(join(config.path, "parley"), server.url, alice.user.id);
      for (const path of [mine.identityPath, mine.keyBookPath]) {
        expect(statSync(path).mode & 0o777).toBe(0o600);
      }
    } finally {
      client.proc.kill();
      bobDm.close();
      bobConn.close();
      await carolWs.close();
    }
    // Typing is shown for about 6 s by design, so this test takes longer than the default 5 s.
  }, 60_000);
});

async function waitGone(text: () => string, pattern: RegExp, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (pattern.test(text())) {
    if (Date.now() > deadline) throw new Error(`${pattern} never went away:\n${text()}`);
    await Bun.sleep(50);
  }
}

async function untilAsync(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
