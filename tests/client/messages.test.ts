/**
 * Messages people change and find, in the terminal client through a PTY: formatting and links,
 * hostile text, a mention's bell, /react, /reply, /edit, /delete, /search, and a message edited
 * and reacted to while the client was cut off, shown in its final state after the reconnect.
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { aliceAndBobIn, connect, unique } from "../support/client.ts";
import { spawnServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { saveLoginIn, spawnClient } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

type Ack = ServerFrameOf<"ack">;

describe("the terminal client's messages", () => {
  const config = tempDir("parley-config-");
  const data = tempDir("parley-data-");
  afterAll(() => {
    config.remove();
    data.remove();
  });

  it("should format, react, reply, edit, delete, search and catch up on changes made while cut off", async () => {
    const db = join(data.path, "p.db");
    let server = await spawnServer({ db, extraArgs: ["--rate", "1000", "--burst", "1000"] });
    const port = Number(new URL(server.url).port);
    const lounge = unique("lounge");
    const first = await aliceAndBobIn(server, lounge);
    const { alice, bob, room } = first;
    // Bob's socket is replaced after the server restarts.
    let b = first.b;
    saveLoginIn(config.path, server.url, alice, lounge);
    const client = spawnClient(
      ["--server", server.url],
      { XDG_CONFIG_HOME: config.path },
      { cols: 110, rows: 30 },
    );
    try {
      await client.waitFor(new RegExp(`You are in #${lounge}`));
      const say = (body: string, extra = {}) =>
        b.request<Ack>({ type: "send", room, cid: unique("c"), body, ...extra } as never);

      // Formatting: markers gone, link and code kept, hostile text shown as text.
      const first = await say(
        "see **this** at https://example.com/x and `co*de*` <script>x</script>",
      );
      await client.waitFor(
        /see this at https:\/\/example\.com\/x and co\*de\* <script>x<\/script>/,
      );
      // A mention rings the bell.
      const bells = client.screen.bells;
      await say(`hey @${alice.user.name} look`);
      await until(() => client.screen.bells > bells, "the bell for the mention");

      // React to bob's newest message, then to the first one ("^2").
      client.type("/react ^2 :tada:\r");
      await client.waitFor(/🎉 1/);
      const react = await b.waitFor((f) => f.type === "event" && f.kind === "react");
      expect(react).toMatchObject({
        target: first.seq,
        emoji: "🎉",
        on: true,
        from: { id: alice.user.id },
      });
      client.type("/reactions ^2\r");
      await client.waitFor(new RegExp(`🎉 ${alice.user.name}`));

      // Reply, quoting the original.
      client.type("/reply ^2 agreed\r");
      const reply = (await b.waitFor(
        (f) => f.type === "msg" && f.body === "agreed",
      )) as ServerFrameOf<"msg">;
      expect(reply.reply?.seq).toBe(first.seq);
      await client.waitFor(new RegExp(`↳ ${bob.user.name}: see \\*\\*this\\*\\*`));

      // Edit and delete one's own message.
      client.type("tpyo here\r");
      await b.waitFor((f) => f.type === "msg" && f.body === "tpyo here");
      client.type("/edit typo fixed\r");
      await client.waitFor(/typo fixed \(edited\)/);
      client.type("/delete\r");
      await client.waitFor(/message deleted/);
      expect(client.screen.text()).not.toMatch(/typo fixed/);
      await client.waitFor(/agreed/);

      // Search.
      await say("the walrus has landed");
      client.type("/search walrus\r");
      await client.waitFor(
        new RegExp(`#${lounge} \\d\\d:\\d\\d ${bob.user.name}: the walrus has landed`),
      );

      // Cut off: the server dies; bob edits and reacts while alice's client is away.
      await server.kill();
      await client.waitFor(/reconnect|Connection lost|offline/i);
      server = await spawnServer({ db, port, extraArgs: ["--rate", "1000", "--burst", "1000"] });
      b = await connect(server.wsUrl, bob.token);
      await b.request({
        type: "event",
        room,
        cid: unique("e"),
        kind: "edit",
        target: first.seq,
        body: "see _that_ instead",
      } as never);
      await b.request({
        type: "event",
        room,
        cid: unique("e"),
        kind: "react",
        target: first.seq,
        emoji: "👀",
      } as never);
      await client.waitFor(/see that instead \(edited\)/, 30_000);
      await client.waitFor(/🎉 1 {2}👀 1/);
      expect(client.screen.text()).not.toMatch(/see this at/);
    } finally {
      client.proc.kill();
      await server.kill();
    }
  });
});
