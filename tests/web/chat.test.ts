import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { Connection } from "../../src/client-core/connection.ts";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  joinRoomInPage,
  openPage,
  registerInPage,
  sendInPage,
  shotDir,
  shownMessages,
  spawnWebServer,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("the browser client", () => {
  const web = browserSuite("chat");

  function context(viewport = { width: 1440, height: 900 }): Promise<BrowserContext> {
    return web.context({ viewport });
  }

  it("lets two users register and chat: each sees both messages once, in order, own on the right", async () => {
    const alice = await openPage(await context(), web.server.url);
    const bob = await openPage(await context(), web.server.url);
    const [aliceName, bobName, room] = [unique("alice"), unique("bob"), unique("lobby")];
    await registerInPage(alice.page, aliceName);
    await createRoomInPage(alice.page, room);
    await registerInPage(bob.page, bobName);
    await joinRoomInPage(bob.page, room);
    await alice.page.getByText(`${bobName} joined`, { exact: true }).waitFor();

    // Typing is announced to the other side.
    await alice.page.locator(".composer-input").pressSequentially("hi");
    await bob.page.getByText(`${aliceName} is typing…`).waitFor();

    await sendInPage(alice.page, `hello @${bobName}`);
    await bob.page.locator(".msg", { hasText: "hello @" }).waitFor();
    await sendInPage(bob.page, "hi alice");

    const expected = [`${aliceName}: hello @${bobName}`, `${bobName}: hi alice`];
    for (const p of [alice.page, bob.page]) {
      await eventually(async () => expect(await shownMessages(p)).toEqual(expected));
      await eventually(async () => expect(await p.locator(".pending-items .msg").count()).toBe(0));
    }
    // The typing notice went with alice's message.
    await eventually(async () => expect(await bob.page.locator(".typing").textContent()).toBe(""));
    // Own messages sit on the right of the list, others' on the left.
    for (const [p, own] of [
      [alice.page, aliceName],
      [bob.page, bobName],
    ] as const) {
      const list = await p.locator(".messages").boundingBox();
      const mine = await p.locator(`.msg[data-from="${own}"] .bubble`).boundingBox();
      const theirs = await p.locator(`.msg:not([data-from="${own}"]) .bubble`).boundingBox();
      if (!list || !mine || !theirs) throw new Error("a message is not on screen");
      expect(mine.x + mine.width).toBeGreaterThan(list.x + list.width * 0.8);
      expect(theirs.x).toBeLessThan(list.x + list.width * 0.2);
    }
    // bob is mentioned: highlighted for bob only.
    expect(await bob.page.locator(".msg.mentions-me mark.mention").textContent()).toBe(
      `@${bobName}`,
    );
    expect(await alice.page.locator(".msg.mentions-me").count()).toBe(0);
    await alice.page.screenshot({ path: join(shotDir(), "chat-alice.png") });
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });

  it("counts unread messages in the sidebar and the title, and clears them when the room is opened", async () => {
    const alice = await openPage(await context(), web.server.url);
    const aliceName = unique("alice");
    const [quiet, busy] = [unique("quiet"), unique("busy")];
    await registerInPage(alice.page, aliceName);
    await createRoomInPage(alice.page, busy);
    await createRoomInPage(alice.page, quiet);
    const bob = await register(web.server.url, unique("bob"));
    const conn = new Connection({ server: web.server.url, token: bob.token });
    web.cleanups.push(() => conn.close());
    conn.start();
    const joined = await conn.join(busy);
    for (const text of ["one", "two", "three"]) conn.send(joined.id, text);

    const entry = alice.page.locator(`.conversation[data-room="${joined.id}"] .badge`);
    await eventually(async () => expect(await entry.textContent()).toBe("3"));
    await eventually(async () => expect(await alice.page.title()).toBe("(3) Parley"));
    await alice.page.locator(`.conversation[data-room="${joined.id}"]`).click();
    await eventually(async () => expect(await alice.page.title()).toBe("Parley"));
    expect(await entry.count()).toBe(0);
    // The read marker reached the server: a fresh load shows nothing unread.
    await eventually(async () => {
      const res = await fetch(`${web.server.url}/api/rooms`, {
        headers: {
          authorization: `Bearer ${await alice.page.evaluate(() => JSON.parse(localStorage.getItem("parley.session") ?? "{}").token)}`,
        },
      });
      const mine = ((await res.json()) as { rooms: { id: number; unread: number }[] }).rooms;
      expect(mine.find((r) => r.id === joined.id)?.unread).toBe(0);
    });
    expect(alice.errors).toEqual([]);
  });

  it("loads older history when scrolled to the top, in order and without repeats", async () => {
    const alice = await openPage(await context(), web.server.url);
    const room = unique("long");
    await registerInPage(alice.page, unique("alice"));
    const bob = await register(web.server.url, unique("bob"));
    const conn = new Connection({ server: web.server.url, token: bob.token });
    web.cleanups.push(() => conn.close());
    conn.start();
    const created = await conn.create(room);
    const texts = Array.from({ length: 80 }, (_, i) => `line ${i + 1}`);
    for (const t of texts) conn.send(created.id, t);
    await eventually(async () => expect(conn.pending().length).toBe(0));

    await joinRoomInPage(alice.page, room);
    // The join replays the log's 50 newest entries: 49 messages, then her own join.
    await eventually(async () => expect((await shownMessages(alice.page)).length).toBe(49));
    await alice.page.locator(".items li.notice", { hasText: "joined" }).waitFor();
    await alice.page.locator(".messages").evaluate((el) => {
      el.scrollTop = 0;
    });
    await eventually(async () =>
      expect(await shownMessages(alice.page)).toEqual(texts.map((t) => `${bob.user.name}: ${t}`)),
    );
    expect(await alice.page.locator(".load-older").isHidden()).toBe(true);
    expect(alice.errors).toEqual([]);
  });

  it("shows message text with <script> and <img onerror> as text, never as HTML", async () => {
    const alice = await openPage(await context(), web.server.url);
    await registerInPage(alice.page, unique("alice"));
    await createRoomInPage(alice.page, unique("xss"));
    const attacks = [
      `<script>window.__pwned = "script"</script>`,
      `<img src=x onerror="window.__pwned = 'img'">`,
      `<b>bold</b> &amp; <a href="javascript:alert(1)">link</a>`,
    ];
    for (const a of attacks) await sendInPage(alice.page, a);
    await eventually(async () =>
      expect((await shownMessages(alice.page)).map((s) => s.slice(s.indexOf(": ") + 2))).toEqual(
        attacks,
      ),
    );
    expect(await alice.page.locator(".items img, .items script, .items b, .items a").count()).toBe(
      0,
    );
    expect(
      await alice.page.evaluate(() => (window as { __pwned?: string }).__pwned),
    ).toBeUndefined();
    expect(alice.errors).toEqual([]);
  });

  it("is usable at 375×740: the sidebar opens and closes, the composer is on screen", async () => {
    const alice = await openPage(await context({ width: 375, height: 740 }), web.server.url);
    const [first, second] = [unique("one"), unique("two")];
    await registerInPage(alice.page, unique("alice"));
    await createRoomInPage(alice.page, first);
    await createRoomInPage(alice.page, second);
    const sidebar = alice.page.getByRole("navigation", { name: "Conversations" });
    const menu = alice.page.getByRole("button", { name: "Show conversations" });
    await eventually(async () => expect(await sidebar.isVisible()).toBe(false));
    await menu.click();
    await eventually(async () => expect(await sidebar.isVisible()).toBe(true));
    await alice.page.screenshot({ path: join(shotDir(), "mobile-sidebar.png") });
    await alice.page.getByRole("button", { name: `Room ${first}` }).click();
    await alice.page.getByRole("heading", { name: `#${first}` }).waitFor();
    await eventually(async () => expect(await sidebar.isVisible()).toBe(false));
    // By keyboard too: Escape closes it again.
    await menu.click();
    await eventually(async () => expect(await sidebar.isVisible()).toBe(true));
    await alice.page.keyboard.press("Escape");
    await eventually(async () => expect(await sidebar.isVisible()).toBe(false));

    expect(await alice.page.getByRole("region", { name: "No conversation yet" }).isVisible()).toBe(
      false,
    );
    const box = await alice.page.locator(".composer-input").boundingBox();
    if (!box) throw new Error("the composer is not on screen");
    expect(box.y + box.height).toBeLessThanOrEqual(740);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    const overflow = await alice.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await sendInPage(alice.page, "from a phone");
    await eventually(async () => expect((await shownMessages(alice.page)).length).toBe(1));
    await alice.page.screenshot({ path: join(shotDir(), "mobile-chat.png") });
    expect(alice.errors).toEqual([]);
  });

  it("shows a reconnect banner while the server is down and loses nothing once it is back", async () => {
    const db = join(web.dir.path, "restart.db");
    let node = await spawnWebServer(db);
    web.adopt(node);
    const port = Number(new URL(node.url).port);
    const alice = await openPage(await context(), node.url);
    const [aliceName, room] = [unique("alice"), unique("resume")];
    await registerInPage(alice.page, aliceName);
    await createRoomInPage(alice.page, room);
    const bob = await register(node.url, unique("bob"));
    const conn = new Connection({
      server: node.url,
      token: bob.token,
      backoff: { baseMs: 200, capMs: 1_000 },
    });
    web.cleanups.push(() => conn.close());
    conn.start();
    const joined = await conn.join(room);
    conn.send(joined.id, "before");
    await alice.page.locator(".msg", { hasText: "before" }).waitFor();

    await node.kill();
    const banner = alice.page.getByRole("status").filter({ hasText: "Reconnecting" });
    await banner.waitFor();
    await alice.page.screenshot({ path: join(shotDir(), "reconnecting.png") });
    // Typed while the server is down: shown as pending, sent once it is back.
    await sendInPage(alice.page, "typed while down");
    await alice.page
      .locator(".pending-items .msg.pending", { hasText: "typed while down" })
      .waitFor();
    // bob's client queues these while down and sends them once it is back.
    for (let i = 1; i <= 5; i++) conn.send(joined.id, `meanwhile ${i}`);

    node = await spawnWebServer(db, port);
    web.adopt(node);
    await conn.ready();
    for (let i = 6; i <= 10; i++) conn.send(joined.id, `meanwhile ${i}`);

    const meanwhile = Array.from({ length: 10 }, (_, i) => `${bob.user.name}: meanwhile ${i + 1}`);
    await eventually(async () => {
      const shown = await shownMessages(alice.page);
      expect(shown[0]).toBe(`${bob.user.name}: before`);
      // alice's message lands somewhere among bob's; each appears exactly once.
      expect(shown.filter((s) => s === `${aliceName}: typed while down`).length).toBe(1);
      expect(shown.filter((s) => !s.startsWith(`${aliceName}:`))).toEqual([
        `${bob.user.name}: before`,
        ...meanwhile,
      ]);
      expect(await alice.page.locator(".pending-items .msg").count()).toBe(0);
    }, 30_000);
    await eventually(async () => expect(await banner.count()).toBe(0), 30_000);
    // The server stored alice's message once.
    const history = await conn.history(joined.id, { after: 0, limit: 200 });
    expect(history.messages.filter((m) => m.body === "typed while down").length).toBe(1);
    expect(alice.errors).toEqual([]);
  });
});
