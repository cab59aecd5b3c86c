import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Page } from "playwright-core";
import { Connection } from "../../src/client-core/connection.ts";
import type { Message } from "../../src/protocol/index.ts";
import { type NotifyContext, noticeFor, QUIET_MS } from "../../src/web/notifications.ts";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  openPage,
  registerInPage,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const me = { id: 1, name: "alice" };
const bob = { id: 2, name: "bob" };

function msg(body: string, over: Partial<Message> = {}): Message {
  return { room: 7, seq: 10, ts: 0, from: bob, cid: "c", body, ...over };
}

function ctx(over: Partial<NotifyContext> = {}): NotifyContext {
  return {
    me,
    live: true,
    isDm: false,
    label: "#lobby",
    hidden: true,
    enabled: true,
    now: 100_000,
    lastShown: undefined,
    ...over,
  };
}

describe("which messages notify", () => {
  it("notifies an @mention of me in a room, whatever its case, with the text", () => {
    expect(noticeFor(msg("look @Alice, here"), ctx())).toEqual({
      title: "bob in #lobby",
      body: "look @Alice, here",
      tag: "parley-room-7",
    });
  });

  it("notifies a DM with who sent it and never its text", () => {
    expect(noticeFor(msg("the secret"), ctx({ isDm: true, label: "bob" }))).toEqual({
      title: "bob",
      body: "sent you a private message",
      tag: "parley-room-7",
    });
  });

  it("stays quiet for room messages without a mention, or mentioning someone else", () => {
    expect(noticeFor(msg("hello all"), ctx())).toBeUndefined();
    expect(noticeFor(msg("hi @alicea and @bob"), ctx())).toBeUndefined();
  });

  it("follows the room's level: every message at all, none when muted, not even a mention or a DM", () => {
    expect(noticeFor(msg("hello all"), ctx({ level: "all" }))).toEqual({
      title: "bob in #lobby",
      body: "hello all",
      tag: "parley-room-7",
    });
    expect(noticeFor(msg("look @alice"), ctx({ level: "muted" }))).toBeUndefined();
    expect(noticeFor(msg("psst"), ctx({ isDm: true, level: "muted" }))).toBeUndefined();
    expect(noticeFor(msg("hello all"), ctx({ level: "mentions" }))).toBeUndefined();
  });

  it("stays quiet while the tab is visible, when turned off, for own messages and for replays", () => {
    const m = msg("@alice");
    expect(noticeFor(m, ctx({ hidden: false }))).toBeUndefined();
    expect(noticeFor(m, ctx({ enabled: false }))).toBeUndefined();
    expect(noticeFor(msg("@alice", { from: me }), ctx())).toBeUndefined();
    expect(noticeFor(m, ctx({ live: false }))).toBeUndefined();
  });

  it("shows one per conversation per quiet period", () => {
    const m = msg("@alice again");
    expect(noticeFor(m, ctx({ lastShown: 100_000 - QUIET_MS + 1 }))).toBeUndefined();
    expect(noticeFor(m, ctx({ lastShown: 100_000 - QUIET_MS }))).toBeDefined();
  });

  it("shortens long text to 140 characters", () => {
    const long = `@alice ${"x".repeat(300)}`;
    expect(noticeFor(msg(long), ctx())?.body.length).toBe(140);
  });
});

const gate = chromiumGate();

/**
 * Records every Notification the page constructs (then constructs the real one too), and lets
 * the test hide the page: headless chromium's pages are always "visible".
 */
const RECORDER = `(() => {
  const Real = window.Notification;
  const notes = [];
  window.__notes = notes;
  window.__hidden = false;
  class Recorded {
    static get permission() { return Real ? Real.permission : "denied"; }
    static requestPermission() { return Real.requestPermission(); }
    constructor(title, options) {
      this.title = title;
      this.options = options;
      this.closed = false;
      try { this.real = new Real(title, options); } catch (e) { this.error = String(e); }
      notes.push(this);
    }
    close() { this.closed = true; this.real?.close(); this.onclose?.(); }
  }
  window.Notification = Recorded;
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true,
    get() { return window.__hidden ? "hidden" : "visible"; },
  });
  Object.defineProperty(Document.prototype, "hidden", {
    configurable: true,
    get() { return window.__hidden; },
  });
})();`;

type Note = { title: string; body: string; closed: boolean; error?: string };

function notes(page: Page): Promise<Note[]> {
  return page.evaluate(() =>
    (
      window as unknown as {
        __notes: { title: string; options: { body: string }; closed: boolean; error?: string }[];
      }
    ).__notes.map((n) => ({
      title: n.title,
      body: n.options.body,
      closed: n.closed,
      error: n.error,
    })),
  );
}

async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    (window as unknown as { __hidden: boolean }).__hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

describe.skipIf(gate.skip)("desktop notifications in the browser client", () => {
  const web = browserSuite("notify");

  it("notifies an @mention while the tab is hidden, once the bell is on; clicking opens the room", async () => {
    const context = await web.context({ viewport: { width: 1280, height: 800 } });
    try {
      await context.grantPermissions(["notifications"], { origin: web.server.url });
      await context.addInitScript(RECORDER);
      const alice = await openPage(context, web.server.url);
      const [aliceName, loud, other] = [unique("alice"), unique("loud"), unique("other")];
      await registerInPage(alice.page, aliceName);
      await createRoomInPage(alice.page, loud);
      await createRoomInPage(alice.page, other);

      const peer = await register(web.server.url, unique("bob"));
      const conn = new Connection({ server: web.server.url, token: peer.token });
      try {
        conn.start();
        const room = await conn.join(loud);
        const badge = alice.page.locator(`.conversation[data-room="${room.id}"] .badge`);
        await setHidden(alice.page, true);

        // Off by default: a mention while hidden shows nothing.
        conn.send(room.id, `before the bell @${aliceName}`);
        await eventually(async () => expect(await badge.textContent()).toBe("1"));
        expect(await notes(alice.page)).toEqual([]);

        const bell = alice.page.getByRole("button", { name: "Desktop notifications" });
        expect(await bell.getAttribute("aria-pressed")).toBe("false");
        await bell.click();
        await eventually(async () => expect(await bell.getAttribute("aria-pressed")).toBe("true"));

        conn.send(room.id, "no mention here");
        conn.send(room.id, `look @${aliceName}`);
        conn.send(room.id, "after it");
        await eventually(async () => expect(await badge.textContent()).toBe("4"));
        const shown = await notes(alice.page);
        expect(shown).toEqual([
          { title: `${peer.user.name} in #${loud}`, body: `look @${aliceName}`, closed: false },
        ]);

        // Clicking it shows the room it is about.
        await alice.page.evaluate(() =>
          (window as unknown as { __notes: { onclick: () => void }[] }).__notes[0]?.onclick(),
        );
        await alice.page.getByRole("heading", { name: `#${loud}` }).waitFor();
        expect((await notes(alice.page))[0]?.closed).toBe(true);
        await setHidden(alice.page, false);
      } finally {
        conn.close();
      }
      expect(alice.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
