/**
 * Jumping far back in the browser, in Chromium against a room seeded with 6,000 messages: a
 * reply's quote and a search hit whose message is thousands back open a window of history
 * around it (not page by page), shown detached with a bar and a "Jump to latest" button that
 * counts what arrives meanwhile; an edit made meanwhile shows in the window; back to latest,
 * or scrolling down until the window meets the live messages, shows each message once; scrolling
 * up reads the page before the window with the reader's place kept. The window is kept across
 * room switches (the same message at the same place when the reader comes back, what arrived
 * meanwhile counted, unread counts right), and a mention of the reader is marked in it as in
 * the live messages.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { PASSWORD, Seeder } from "../../bench/seed.ts";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { connect, type TestSocket, unique } from "../support/client.ts";
import { type ChildServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  chromiumGate,
  eventually,
  launchBrowser,
  openPage,
  sendInPage,
  spawnWebServer,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();
type Ack = ServerFrameOf<"ack">;
const SEEDED = 6000;
const WALRUS = 300;
/** A seeded message that mentions bob, next to the walrus. */
const MENTION = WALRUS + 2;

/** Waits until the sidebar entry shows no unread count. */
async function expectNoBadge(entry: ReturnType<Page["locator"]>): Promise<void> {
  await eventually(async () => expect(await entry.locator(".badge").count()).toBe(0));
}

/** The stored messages' seqs in the list, in the order shown. */
function shownSeqs(page: Page): Promise<number[]> {
  return page
    .locator(".items:not(.pending-items) .msg[data-seq]")
    .evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.seq)));
}

describe.skipIf(gate.skip)("the browser client's jump far back", () => {
  let browser: Browser;
  let server: ChildServer;
  let alice: TestSocket;
  let room: number;
  let otherRoom: number;
  let bobName: string;
  const dir = tempDir("parley-web-window-");
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (gate.missing) throw new Error("chromium is required but /usr/bin/chromium is missing");
    const db = join(dir.path, "w.db");
    const seed = Seeder.sqlite(db);
    const [a, b] = await seed.users(2);
    if (!a || !b) throw new Error("seed: two users expected");
    room = await seed.room([a, b]);
    seed.messages(room, a, SEEDED, (seq) =>
      seq === WALRUS
        ? "the walrus has landed"
        : seq === MENTION
          ? `@${b.name} have a look at ${seq}`
          : `message number ${seq}`,
    );
    otherRoom = await seed.room([a, b]);
    seed.messages(otherRoom, b, 5, (seq) => `elsewhere ${seq}`); // client ids are per sender
    await seed.close();
    bobName = b.name;
    browser = await launchBrowser();
    server = await spawnWebServer(db);
    alice = await connect(server.wsUrl, a.token);
    await alice.request({ type: "join", room });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    alice?.close();
    await browser?.close();
    await server?.kill();
    dir.remove();
  });

  async function bobInRoom(): Promise<{ page: Page; errors: string[] }> {
    const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(c);
    const { page, errors } = await openPage(c, server.url);
    await page.getByLabel("Username").fill(bobName);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.locator("button[type=submit]", { hasText: "Log in" }).click();
    await page.getByRole("main", { name: "Conversation" }).waitFor();
    await page
      .locator(".sidebar")
      .getByText(/#room\d+/)
      .first()
      .click();
    await page
      .locator(".msg", { hasText: `message number ${SEEDED}` })
      .first()
      .waitFor();
    return { page, errors };
  }

  const say = (body: string, reply?: number) =>
    alice.request<Ack>({ type: "send", room, cid: unique("c"), body, reply } as never);

  it("opens a reply's original and a search hit thousands back, counts live messages, and returns to latest", async () => {
    const reply = await say("about that walrus", WALRUS);
    const { page, errors } = await bobInRoom();
    const mine = page.locator(`.msg[data-seq="${reply.seq}"]`);
    await mine.locator(".reply-quote").click();
    await page.locator(`.msg.flash[data-seq="${WALRUS}"]`).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(true);
    const jump = page.locator("button.jump");
    expect(await jump.textContent()).toBe("↓ Jump to latest");
    // One window around it: its neighbours, not the thousands between.
    const seqs = await shownSeqs(page);
    expect(seqs).toContain(WALRUS - 1);
    expect(seqs).toContain(WALRUS + 1);
    expect(seqs.length).toBeLessThanOrEqual(50);
    // A mention of bob is marked in the window as in the live messages.
    const mention = page.locator(`.msg.mentions-me[data-seq="${MENTION}"]`);
    expect(await mention.locator("mark.mention").textContent()).toBe(`@${bobName}`);
    expect(await page.locator(".msg.mentions-me").count()).toBe(1);

    // Live meanwhile: counted on the button, kept out of the window.
    await say("sent while bob looked back");
    await jump.filter({ hasText: "Jump to latest (1 new message)" }).waitFor();
    expect(await page.locator(".msg", { hasText: "sent while bob looked back" }).count()).toBe(0);
    // An edit to a message in the window shows there.
    await alice.request({
      type: "event",
      room,
      cid: unique("e"),
      kind: "edit",
      target: WALRUS + 1,
      body: "three hundred and one, fixed",
    } as never);
    await page
      .locator(`.msg[data-seq="${WALRUS + 1}"]`, { hasText: "three hundred and one, fixed" })
      .waitFor();

    await jump.click();
    await page.locator(".msg", { hasText: "sent while bob looked back" }).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(false);
    expect(await page.locator(".msg", { hasText: "sent while bob looked back" }).count()).toBe(1);
    expect(await page.locator(`.msg[data-seq="${WALRUS}"]`).count()).toBe(0);

    // A search hit far back opens the same way.
    await page.getByLabel("Search messages").fill("walrus");
    await page.getByLabel("Search messages").press("Enter");
    await page.locator(".search-hit", { hasText: "the walrus has landed" }).click();
    await page.locator(`.msg.flash[data-seq="${WALRUS}"]`).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(true);
    // Sending from there returns to the latest, where the message goes.
    await sendInPage(page, "typed while looking back");
    await page.locator(".items .msg", { hasText: "typed while looking back" }).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });

  it("rejoins the live messages when scrolled down to them, each message once", async () => {
    const head = await say("the newest before the jump");
    const original = head.seq - 120;
    const reply = await say("answering one a little back", original);
    const { page, errors } = await bobInRoom();
    await page.locator(`.msg[data-seq="${reply.seq}"] .reply-quote`).click();
    await page.locator(`.msg.flash[data-seq="${original}"]`).waitFor();
    // Scrolled to its top, the window reads the page before it, the reader's place kept: the
    // row that was at the top stays there, the rows read come in above it.
    const firstSeq = (await shownSeqs(page))[0] as number;
    expect(await page.locator(`.msg[data-seq="${firstSeq - 40}"]`).count()).toBe(0);
    const topOf = (seq: number) =>
      page.locator(".messages").evaluate((el, seq) => {
        const row = el.querySelector(`.msg[data-seq="${seq}"]`) as HTMLElement;
        return row.getBoundingClientRect().top - el.getBoundingClientRect().top;
      }, seq);
    // Measured in the same turn as the scroll, before its page can land.
    const before = await page.locator(".messages").evaluate((el, seq) => {
      el.scrollTop = 0;
      const row = el.querySelector(`.msg[data-seq="${seq}"]`) as HTMLElement;
      return row.getBoundingClientRect().top - el.getBoundingClientRect().top;
    }, firstSeq);
    await page.locator(`.msg[data-seq="${firstSeq - 40}"]`).waitFor({ state: "attached" });
    expect(Math.abs((await topOf(firstSeq)) - before)).toBeLessThan(4);
    await say("sent during the scroll down");
    await eventually(async () => {
      await page.locator(".messages").evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      expect(await page.locator(".detached-bar").isVisible()).toBe(false);
    });
    await page.locator(".msg", { hasText: "sent during the scroll down" }).waitFor();
    const seqs = await shownSeqs(page);
    // In order, none twice, none missing from the window's first on (events have no row).
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.filter((s) => s >= original - 20 && s <= head.seq).length).toBe(
      head.seq - (original - 20) + 1 - 1, // the edit of the first test is an event, not a row
    );
    expect(errors).toEqual([]);
  });
  it("keeps the window across a switch to another room: the same message at the same place, what came meanwhile counted", async () => {
    // bob's earlier tabs would read the room for him while this one looks elsewhere.
    for (const c of contexts.splice(0)) await c.close();
    const { page, errors } = await bobInRoom();
    await page.getByLabel("Search messages").fill("walrus");
    await page.getByLabel("Search messages").press("Enter");
    await page.locator(".search-hit", { hasText: "the walrus has landed" }).click();
    await page.locator(`.msg.flash[data-seq="${WALRUS}"]`).waitFor();
    // The reader moves a little in the window: that place, not the jump's, is what comes back.
    await page.locator(".messages").evaluate((el) => {
      el.scrollTop -= 90;
    });
    const place = () =>
      page.locator(".messages").evaluate((el) => {
        const top = el.getBoundingClientRect().top;
        for (const row of el.querySelectorAll<HTMLElement>(".items .msg[data-seq]")) {
          const r = row.getBoundingClientRect();
          if (r.bottom > top) return { seq: Number(row.dataset.seq), offset: r.top - top };
        }
        return undefined;
      });
    const before = await place();
    expect(before).toBeDefined();

    const other = page.locator(`.sidebar .conversation[data-room="${otherRoom}"]`);
    await other.click();
    await page.locator(".msg", { hasText: "elsewhere 5" }).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(false);
    // Meanwhile, in the room left: a live message (unread there) and an edit in the window.
    const live = await say("said while bob was elsewhere");
    const back = page.locator(`.sidebar .conversation[data-room="${room}"]`);
    await back.locator(".badge", { hasText: "1" }).waitFor();
    await alice.request({
      type: "event",
      room,
      cid: unique("e"),
      kind: "edit",
      target: WALRUS - 1,
      body: "two hundred and ninety-nine, fixed",
    } as never);

    await back.click();
    await page.locator(`.msg[data-seq="${WALRUS}"]`).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(true);
    const after = await place();
    expect(after?.seq).toBe(before?.seq as number);
    expect(Math.abs((after?.offset ?? 0) - (before?.offset ?? 0))).toBeLessThan(4);
    expect(await page.locator(`.msg[data-seq="${WALRUS}"]`).isVisible()).toBe(true);
    await page
      .locator(`.msg[data-seq="${WALRUS - 1}"]`, { hasText: "two hundred and ninety-nine, fixed" })
      .waitFor();
    // Back in the room: read there (no badge), and the window's button counts what came.
    await expectNoBadge(back);
    expect(await page.locator("button.jump").textContent()).toBe(
      "↓ Jump to latest (1 new message)",
    );
    expect(await page.locator(`.msg[data-seq="${live.seq}"]`).count()).toBe(0);

    // Until the reader goes back to the latest: then the room shows its newest again, and
    // another switch and return does not bring the window back.
    await page.locator("button.jump").click();
    await page.locator(`.msg[data-seq="${live.seq}"]`).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(false);
    await other.click();
    await page.locator(".msg", { hasText: "elsewhere 5" }).waitFor();
    await back.click();
    await page.locator(`.msg[data-seq="${live.seq}"]`).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(false);
    expect(await page.locator(`.msg[data-seq="${WALRUS}"]`).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
