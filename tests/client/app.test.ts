import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { Connection } from "../../src/client-core/connection.ts";
import type { Message } from "../../src/protocol/index.ts";
import { api, joinRoom, register, unique } from "../support/client.ts";
import { spawnServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { spawnClient } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("the interactive client in a terminal", () => {
  const dir = tempDir();
  const config = tempDir("parley-config-");
  const env = { XDG_CONFIG_HOME: config.path };
  afterAll(() => {
    dir.remove();
    config.remove();
  });

  it("should register, chat with a second client, ride out a server restart and quit", async () => {
    const db = join(dir.path, "parley.db");
    let server = await spawnServer({ db });
    const port = Number(new URL(server.url).port);
    let bob: Connection | undefined;
    const client = spawnClient(["--server", server.url], env);
    try {
      const user = unique("alice");
      const room = unique("lobby");
      await client.waitFor(/Log in/);
      client.type("\x1b[B"); // down to Register
      await client.waitFor(/● Register/);
      client.type("\r");
      await client.waitFor(/Choose a username/);
      client.type(`${user}\r`);
      await client.waitFor(/Choose a password/);
      client.type("short\r");
      await client.waitFor(/Passwords are 8 to 256 characters/); // the rule, shown inline
      client.type("\x15correct horse\r");
      await client.waitFor(/Type the password again/);
      client.type("correct horse\r");
      await client.waitFor(/● Create a room/);
      client.type("\r");
      await client.waitFor(/Name of the new room/);
      client.type(`${room}\r`);
      await client.waitFor(new RegExp(`You are in #${room}`));

      // A second client, through the shared connection layer.
      const bobAccount = await register(server.url);
      const rooms = await api<{ rooms: { id: number; name: string }[] }>(
        server.url,
        "GET",
        "/api/rooms",
        undefined,
        bobAccount.token,
      );
      const roomId = rooms.body.rooms.find((r) => r.name === room)?.id as number;
      await joinRoom(server.url, bobAccount.token, roomId);
      bob = new Connection({ server: server.url, token: bobAccount.token });
      const bobSaw: Message[] = [];
      bob.on("message", (m) => bobSaw.push(m));
      bob.start();
      await bob.join(room);

      bob.send(roomId, "hello from bob 🎉");
      await client.waitFor(new RegExp(`${bobAccount.user.name}: hello from bob 🎉`));

      // A half-typed line survives an incoming message.
      client.type("half typed");
      await client.waitFor(/› half typed/);
      bob.send(roomId, "interrupting you");
      await client.waitFor(/interrupting you/);
      expect(client.screen.cursorLine()).toBe("› half typed");
      const lines = client.screen.lines();
      const at = lines.findIndex((l) => l.includes("interrupting you"));
      expect(at).toBeLessThan(lines.indexOf("› half typed"));
      client.type(" and finished\r");
      await until(
        () => bobSaw.some((m) => m.body === "half typed and finished"),
        "bob to receive alice's line",
      );

      // The server dies: the status says so, and a line typed now is pending.
      await server.kill();
      await client.waitFor(/reconnecting \(attempt \d+, next try in \d+ s\)/);
      await client.waitFor(/Connection lost/);
      client.type("typed while offline\r");
      await client.waitFor(/pending: typed while offline/);

      server = await spawnServer({ db, port });
      await client.waitFor(/Back online: \d+ missed messages? caught up/);
      await until(
        () => bobSaw.some((m) => m.body === "typed while offline"),
        "bob to receive the offline line",
      );
      await client.waitFor(new RegExp(`${user}: typed while offline`));
      expect(client.screen.text()).not.toMatch(/pending: typed while offline/);
      const stored = await api<{ messages: Message[] }>(
        server.url,
        "GET",
        `/api/rooms/${roomId}/messages?after=0`,
        undefined,
        bobAccount.token,
      );
      expect(stored.body.messages.filter((m) => m.body === "typed while offline")).toHaveLength(1);

      client.type("/nonsense\r");
      await client.waitFor(/Unknown command \/nonsense\. Type \/help/);
      client.type("/who\r");
      await client.waitFor(new RegExp(`Members of #${room}: .*${user} \\(online\\)`));
      client.type("/quit\r");
      expect(await client.proc.exited).toBe(0);
      await client.waitFor(/Bye\./);

      const file = join(config.path, "parley", "session.json");
      expect(statSync(file).mode & 0o777).toBe(0o600);

      // A restart uses the saved session (no password asked) and comes back to the last
      // buffer, not the picker. Ctrl-C leaves cleanly.
      const again = spawnClient(["--server", server.url], env);
      await again.waitFor(new RegExp(`You are in #${room}: 2 members`));
      expect(again.screen.text()).not.toMatch(/Password|Pick a room/);
      again.type("\x03");
      expect(await again.proc.exited).toBe(0);
    } finally {
      bob?.close();
      client.proc.kill();
      await server.kill();
    }
  });

  it("should refuse a terminal narrower than 40 columns with a clear message", async () => {
    const client = spawnClient(["--server", "http://127.0.0.1:9"], env, { cols: 30, rows: 20 });
    expect(await client.proc.exited).toBe(2);
    await client.waitFor(/parley: the terminal/);
    // The message wraps at 30 columns: read it as one line.
    expect(client.screen.lines().join("")).toContain(
      "the terminal is 30 columns wide; the chat needs at least 40.",
    );
  });

  it("should say when the server cannot be reached and offer to retry", async () => {
    const client = spawnClient(["--server", "http://127.0.0.1:9"], env);
    await client.waitFor(/Cannot reach the Parley server at http:\/\/127\.0\.0\.1:9/);
    await client.waitFor(/Try again\?/);
    client.type("\x1b[C\r"); // No
    expect(await client.proc.exited).toBe(1);
    expect(client.screen.text()).not.toMatch(/at .*\(.*\.ts:\d+/); // no stack trace
  });
});
