/**
 * Jumping far back in an encrypted DM in the browser (Chromium): a reply's quote whose original
 * is several pages back opens a window of history around it with two `history` reads, not a
 * page at a time (the server serves the DM's ciphertext around the seq; the page opens only
 * what it shows), with the original opened, a mention of the reader marked, a sealed edit
 * made meanwhile shown in it, and the latest messages back with "Jump to latest".
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { SealedChanges } from "../../src/client-core/sealed-changes.ts";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, openPage } from "./browser.ts";
import { browserUserWritingTo, suiteTerminal } from "./dm-peer.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();
/** Messages before the original and after it: the original is five pages of 50 back. */
const EARLY = 40;
const LATER = 260;

describe.skipIf(gate.skip)("jumping far back in an encrypted DM in the browser", () => {
  // bob's device sends some 300 messages at once: above the default 20 frames a second.
  const web = browserSuite("dm-window", ["--rate", "1000", "--burst", "2000"]);

  it("opens a quoted message many pages back with two history reads, opened, the mention marked", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const bobChanges = new SealedChanges(
      bob.conn,
      { dm: bob.dm },
      { change: () => {}, problem: () => {} },
    );
    web.cleanups.unshift(() => bobChanges.close());
    const c = await web.context({ viewport: { width: 1280, height: 860 } });
    const { page, errors, frames } = await openPage(c, web.server.url);
    const aliceName = unique("alice");
    const room = await browserUserWritingTo(page, aliceName, bobAccount.user.name);

    for (let i = 1; i <= EARLY; i++) bob.dm.send(room, `early ${i}`);
    bob.dm.send(room, "the walrus in the DM");
    bob.dm.send(room, `@${aliceName} it is there`);
    for (let i = 1; i <= LATER; i++) bob.dm.send(room, `later ${i}`);
    await page.locator(".items .msg", { hasText: `later ${LATER}` }).waitFor({ timeout: 60_000 });
    const walrus = page.locator(".items .msg", { hasText: "the walrus in the DM" });
    const walrusSeq = Number(await walrus.getAttribute("data-seq"));
    bob.dm.send(room, "about the walrus", undefined, walrusSeq);
    await page.locator(".items .msg", { hasText: "about the walrus" }).waitFor();

    // Loaded afresh, the DM holds its newest page only.
    await page.reload();
    const reply = page.locator(".items .msg", { hasText: "about the walrus" });
    await reply.waitFor();
    expect(await walrus.count()).toBe(0);
    const histories = () => frames.sent.filter((t) => t === "history").length;
    const before = histories();

    await reply.locator(".reply-quote").click();
    await page.locator(`.msg.flash[data-seq="${walrusSeq}"]`).waitFor();
    // Two reads around it, however many pages back (page by page, it took five or more).
    expect(histories() - before).toBeLessThanOrEqual(2);
    expect(await page.locator(".detached-bar").isVisible()).toBe(true);
    expect(await page.locator(`.msg[data-seq="${walrusSeq}"] .text`).textContent()).toBe(
      "the walrus in the DM",
    );
    expect(await page.locator(".msg", { hasText: "early 40" }).count()).toBe(1);
    expect(await page.locator(".msg", { hasText: `later ${LATER}` }).count()).toBe(0);
    expect(await page.locator(".placeholder.sealed").count()).toBe(0);
    // A mention of the reader is marked in the window as in the live messages.
    const mention = page.locator(".msg.mentions-me", { hasText: "it is there" });
    expect(await mention.locator("mark.mention").textContent()).toBe(`@${aliceName}`);
    // bob's sealed edit of a message in the window shows there, opened.
    await bobChanges.send(room, { kind: "edit", target: walrusSeq + 2, body: "later 1, fixed" });
    await page
      .locator(`.msg[data-seq="${walrusSeq + 2}"]`, { hasText: "later 1, fixed" })
      .waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(true);

    await page.locator("button.jump").click();
    await page.locator(".items .msg", { hasText: `later ${LATER}` }).waitFor();
    expect(await page.locator(".detached-bar").isVisible()).toBe(false);
    expect(await reply.count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
