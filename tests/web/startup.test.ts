import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { Connection } from "../../src/client-core/connection.ts";
import { createRoom, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openAs, spawnWebServer } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("the browser client starting up", () => {
  const web = browserSuite("startup");

  function context(viewport = { width: 1440, height: 900 }): Promise<BrowserContext> {
    return web.context({ viewport });
  }

  function connect(token: string): Connection {
    const conn = new Connection({ server: web.server.url, token });
    web.cleanups.push(() => conn.close());
    conn.start();
    return conn;
  }

  it("attaches 45 rooms with one resume, never RATE_LIMITED, and receives in the last of them", async () => {
    const alice = await register(web.server.url, unique("alice"));
    const names: string[] = [];
    const ids: number[] = [];
    for (let i = 0; i < 45; i++) {
      names.push(unique(`r${i}x`));
      ids.push(await createRoom(web.server.url, alice.token, names[i]));
    }
    const opened = await openAs(await context(), web.server.url, alice);
    const seen = opened.frames;
    await eventually(async () =>
      expect(await opened.page.locator(".sidebar .conversation").count()).toBe(45),
    );
    const bob = await register(web.server.url, unique("bob"));
    const conn = connect(bob.token);
    const last = ids[44] as number;
    await conn.join(names[44] as string);
    await eventually(async () =>
      expect(seen.sent.filter((t) => t === "resume").length).toBeGreaterThanOrEqual(2),
    );
    conn.send(last, "to the 45th room");
    await eventually(async () =>
      expect(
        await opened.page
          .locator(`.conversation[data-room="${last}"] .badge`)
          .textContent({ timeout: 1_000 }),
      ).toBe("1"),
    );
    expect(seen.errors).toEqual([]);
    expect(seen.sent.filter((t) => t === "join" || t === "dm").length).toBe(0);
    // The hello's resume (nothing tracked yet) and the one that attaches all 45 rooms.
    expect(seen.sent.filter((t) => t === "resume").length).toBe(2);
    expect(seen.sent.length).toBeLessThan(12);
    expect(opened.errors).toEqual([]);
  });
  it("shows a DM peer online after both reload, when the listing came while the peer was reloading", async () => {
    // A long offline grace: alice's reload lands inside it however slow the machine is.
    const node = await spawnWebServer(join(web.dir.path, "presence.db"), 0, [
      "--presence-grace",
      "60",
    ]);
    try {
      const alice = await register(node.url, unique("alice"));
      const bob = await register(node.url, unique("bob"));
      const bobConn = () => {
        const conn = new Connection({ server: node.url, token: bob.token });
        web.cleanups.push(() => conn.close());
        conn.start();
        return conn;
      };
      const first = bobConn();
      const dm = await first.openDm(alice.user.name);
      // bob shows his status to alice: a DM alone does not (docs/security.md, presence).
      await first.request({ type: "contact_add", user: alice.user.name });
      const opened = await openAs(await context(), node.url, alice);
      const peer = opened.page.locator(`.conversation[data-room="${dm.id}"] .presence`);
      await eventually(async () => expect(await peer.getAttribute("class")).toContain("online"));

      // bob reloads (his socket closes, a new one opens) while alice's page lists the rooms.
      first.close();
      await Bun.sleep(300);
      await opened.page.reload();
      await opened.page.getByRole("main", { name: "Conversation" }).waitFor();
      await opened.page.locator(`.conversation[data-room="${dm.id}"]`).waitFor();
      const second = bobConn();
      await second.ready();
      await second.listRooms();
      await Bun.sleep(300);
      expect(await peer.getAttribute("class")).toContain("online");
      expect(opened.errors).toEqual([]);
    } finally {
      await node.kill();
    }
  });
  it("lists a room created on another device at once, and in another user's open rooms dialog", async () => {
    const alice = await register(web.server.url, unique("alice"));
    const bob = await register(web.server.url, unique("bob"));
    const c = await context();
    const desk = await openAs(c, web.server.url, alice);
    const phone = await openAs(c, web.server.url, alice); // another tab, as another device would
    const other = await openAs(await context(), web.server.url, bob);
    await other.page.getByRole("button", { name: "Create or join a room" }).click();
    await other.page
      .getByText("You are in every room.")
      .or(other.page.locator(".joinable-room").first())
      .waitFor();

    const room = unique("fresh");
    const conn = connect(alice.token);
    await conn.create(room);
    await desk.page.getByRole("button", { name: `Room ${room}` }).waitFor();
    await phone.page.getByRole("button", { name: `Room ${room}` }).waitFor();
    await other.page.getByRole("button", { name: `Join #${room} ` }).waitFor();
    // Attached, not only listed: a message in it reaches the other tab.
    const bobConn = connect(bob.token);
    const joined = await bobConn.join(room);
    bobConn.send(joined.id, "in the new room");
    await eventually(async () =>
      expect(
        await phone.page
          .locator(`.conversation[data-room="${joined.id}"] .badge`)
          .textContent({ timeout: 1_000 }),
      ).toBe("1"),
    );
    expect([...desk.errors, ...phone.errors, ...other.errors]).toEqual([]);
  });
  it("reads presence again after its own reconnect, so a peer who left meanwhile is not shown online", async () => {
    const db = join(web.dir.path, "away.db");
    let node = await spawnWebServer(db);
    const port = Number(new URL(node.url).port);
    try {
      const alice = await register(node.url, unique("alice"));
      const bob = await register(node.url, unique("bob"));
      const bobConn = new Connection({ server: node.url, token: bob.token });
      web.cleanups.push(() => bobConn.close());
      bobConn.start();
      const dm = await bobConn.openDm(alice.user.name);
      // bob shows his status to alice: a DM alone does not (docs/security.md, presence).
      await bobConn.request({ type: "contact_add", user: alice.user.name });
      const opened = await openAs(await context(), node.url, alice);
      const peer = opened.page.locator(`.conversation[data-room="${dm.id}"] .presence`);
      await eventually(async () => expect(await peer.getAttribute("class")).toContain("online"));

      // The server goes down; bob closes his laptop meanwhile; the server comes back.
      await node.kill();
      bobConn.close();
      node = await spawnWebServer(db, port);
      await eventually(async () =>
        expect(await opened.page.locator(".shell").getAttribute("data-connection")).toBe(
          "back-online",
        ),
      );
      await eventually(async () => expect(await peer.getAttribute("class")).toContain("offline"));
      expect(opened.errors).toEqual([]);
    } finally {
      await node.kill();
    }
  });
});
