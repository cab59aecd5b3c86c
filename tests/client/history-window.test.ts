/**
 * /jump far back in the terminal client, through a PTY: a search hit 5,500 messages back opens
 * in a window of history around it (not page by page), the status row says the view is
 * detached and counts what arrives live meanwhile, an edit made meanwhile shows in the window,
 * and /latest goes back to the newest messages with the live ones there; /original opens a
 * reply's original the same way.
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { bigRoomServer } from "../support/big-room.ts";
import { connect, unique } from "../support/client.ts";
import { tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { spawnLoggedIn } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("the terminal client's jump far back", () => {
  const config = tempDir("parley-config-");
  afterAll(() => config.remove());

  it("should open a result 5,500 messages back in a window, then return to the latest with what came meanwhile", async () => {
    const big = await bigRoomServer(6000, (seq) =>
      seq === 500 ? "the walrus has landed" : `message number ${seq}`,
    );
    const { server, room, alice, bob } = big;
    const a = await connect(server.wsUrl, alice.token);
    await a.request({ type: "join", room });
    await a.request({
      type: "send",
      room,
      cid: unique("c"),
      body: "about seven hundred",
      reply: 700,
    } as never);
    const client = spawnLoggedIn(server.url, bob, config.path, { cols: 100, rows: 24 });
    try {
      await client.waitFor(/Pick a room/);
      client.type("\r");
      await client.waitFor(/message number 6000/);
      client.type("/search walrus\r");
      await client.waitFor(/\[1\] #room\d+ \d\d:\d\d bench\d+: the walrus has landed/);
      client.type("/jump 1\r");
      await client.waitFor(/viewing older messages, \/latest returns/);
      await client.waitFor(/the walrus has landed/);
      await client.waitFor(/message number 499\b/);
      await client.waitFor(/message number 501\b/);
      expect(client.screen.text()).not.toMatch(/message number 6000/);

      // Live meanwhile: counted on the status row, not drawn over the window.
      await a.request({ type: "send", room, cid: unique("c"), body: "sent while bob looked back" });
      await client.waitFor(/viewing older messages \(1 new\)/);
      expect(client.screen.text()).not.toMatch(/sent while bob looked back/);
      // An edit to a message in the window shows there.
      await a.request({
        type: "event",
        room,
        cid: unique("e"),
        kind: "edit",
        target: 501,
        body: "five hundred and one, fixed",
      } as never);
      await client.waitFor(/five hundred and one, fixed \(edited\)/);

      client.type("/latest\r");
      await client.waitFor(/sent while bob looked back/);
      await client.waitFor(/message number 6000/);
      expect(client.screen.text()).not.toMatch(/viewing older messages/);
      expect(client.screen.text()).not.toMatch(/message number 501\b/);
      expect(client.screen.text().match(/sent while bob looked back/g)?.length).toBe(1);

      // A reply's original, 5,300 back, opens the same way; a command returns to the latest.
      client.type("/original\r");
      await client.waitFor(/viewing older messages/);
      await client.waitFor(/message number 700\b/);
      client.type("/reactions\r");
      await client.waitFor(/message number 6000/);
      expect(client.screen.text()).not.toMatch(/viewing older messages/);
    } finally {
      client.proc.kill();
      a.close();
      await big.close();
    }
  });

  it("should rejoin the live lines when PageDown reaches them, keeping the place", async () => {
    const big = await bigRoomServer(6000, (seq) =>
      seq === 5890 ? "the narwhal surfaced" : `message number ${seq}`,
    );
    const { server, bob } = big;
    const client = spawnLoggedIn(server.url, bob, config.path, { cols: 100, rows: 24 });
    try {
      await client.waitFor(/Pick a room|message number 6000/);
      if (/Pick a room/.test(client.screen.text())) client.type("\r");
      await client.waitFor(/message number 6000/);
      client.type("/search narwhal\r");
      await client.waitFor(/\[1\] #room\d+ .*the narwhal surfaced/);
      client.type("/jump 1\r");
      await client.waitFor(/viewing older messages/);
      await client.waitFor(/message number 5891\b/);
      // PageDown to the window's end, a page more, then the live lines where they meet.
      for (let i = 0; i < 30 && /viewing older messages/.test(client.screen.text()); i++) {
        client.type("\x1b[6~");
        await Bun.sleep(150);
      }
      await client.waitFor(/connected as bench\d+ · #room\d+ · \/help/);
      const text = client.screen.text();
      // The place is kept: older lines on screen, not the newest; each line once.
      expect(text).not.toMatch(/message number 6000\b/);
      const lines = text.split("\n").filter((l) => /message number \d+/.test(l));
      expect(lines.length).toBeGreaterThan(5);
      expect(new Set(lines).size).toBe(lines.length);
      const seqs = lines.map((l) => Number(/message number (\d+)/.exec(l)?.[1]));
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
      // On down through the seam, into the live lines, to the newest.
      for (let i = 0; i < 12 && !/message number 6000\b/.test(client.screen.text()); i++) {
        client.type("\x1b[6~");
        await Bun.sleep(100);
      }
      await client.waitFor(/message number 6000\b/);
    } finally {
      client.proc.kill();
      await big.close();
    }
  });
});
