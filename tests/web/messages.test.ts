/**
 * Messages people change and find, in the browser: formatting and clickable links, an XSS
 * corpus that stays text, a mention marked, react, reply (and its jump), edit in place, delete,
 * search opening a message in context, and changes made while the page was cut off.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { api, connect, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  openPage,
  registerInPage,
  sendInPage,
  spawnWebServer,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();
type Ack = ServerFrameOf<"ack">;

const XSS = [
  "<script>window.__pwned=1</script>",
  "<img src=x onerror=window.__pwned=1>",
  "[click me](javascript:window.__pwned=1)",
  "**<b onmouseover=window.__pwned=1>bold</b>**",
  "`</code><svg onload=window.__pwned=1>`",
];

describe.skipIf(gate.skip)("the browser client's messages", () => {
  const web = browserSuite("messages");

  it("formats, reacts, replies, edits, deletes, searches, and shows changes made while cut off", async () => {
    // The suite's server, killed and restarted on the same database and port below.
    const db = join(web.dir.path, "messages.db");
    let server = web.server;
    const port = Number(new URL(server.url).port);
    const c = await web.context({ viewport: { width: 1280, height: 900 } });
    const { page, errors } = await openPage(c, server.url);
    page.on("dialog", (d) => void d.accept());
    const aliceName = unique("alice");
    const room = unique("club");
    await registerInPage(page, aliceName);
    await createRoomInPage(page, room);
    const bob = await register(server.url);
    const found = await api<{ rooms: { id: number }[] }>(
      server.url,
      "GET",
      `/api/rooms?name=${room}`,
      undefined,
      bob.token,
    );
    const roomId = found.body.rooms[0]?.id as number;
    await api(server.url, "POST", `/api/rooms/${roomId}/join`, undefined, bob.token);
    let b = await connect(server.wsUrl, bob.token);
    await b.request({ type: "join", room: roomId });
    const say = (body: string) =>
      b.request<Ack>({ type: "send", room: roomId, cid: unique("c"), body } as never);

    // Formatting, a clickable link, a mention of the reader.
    const first = await say(
      `**bold** _it_ ~~gone~~ \`code\` see https://example.com/a and @${aliceName}`,
    );
    const row = page.locator(`.msg[data-seq="${first.seq}"]`);
    await row.waitFor();
    await expect(row.locator(".text strong").textContent()).resolves.toBe("bold");
    await expect(row.locator(".text em").textContent()).resolves.toBe("it");
    await expect(row.locator(".text s").textContent()).resolves.toBe("gone");
    await expect(row.locator(".text code").textContent()).resolves.toBe("code");
    const link = row.locator(".text a");
    expect(await link.getAttribute("href")).toBe("https://example.com/a");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await row.locator("mark.mention").textContent()).toBe(`@${aliceName}`);
    expect(await row.getAttribute("class")).toContain("mentions-me");

    // An XSS corpus stays text.
    for (const attack of XSS) await say(attack);
    await page.locator(".msg", { hasText: "svg onload" }).waitFor();
    const texts = page.locator(".items .msg .text");
    expect(await texts.locator("script, img, svg, b[onmouseover]").count()).toBe(0);
    expect(await texts.locator('a[href^="javascript"]').count()).toBe(0);
    expect(
      await page.locator(".msg", { hasText: "<script>window.__pwned=1</script>" }).count(),
    ).toBe(1);
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();

    // React through the hover actions; the chip shows it and the other side gets the event.
    await row.hover();
    await row.getByRole("button", { name: "React", exact: true }).click();
    await row.getByRole("button", { name: "React with 🎉" }).click();
    await row.locator(".reactions .chip", { hasText: "🎉 1" }).waitFor();
    const react = await b.waitFor((f) => f.type === "event" && f.kind === "react");
    expect(react).toMatchObject({ target: first.seq, emoji: "🎉", on: true });
    // The chip toggles it off again.
    await row.locator(".reactions .chip").click();
    await eventually(async () => expect(await row.locator(".reactions .chip").count()).toBe(0));

    // Reply with a quote; the quote jumps to the original.
    await row.hover();
    await row.getByRole("button", { name: "Reply", exact: true }).click();
    await page.locator(".reply-bar").waitFor();
    await sendInPage(page, "agreed");
    const reply = (await b.waitFor(
      (f) => f.type === "msg" && f.body === "agreed",
    )) as ServerFrameOf<"msg">;
    expect(reply.reply?.seq).toBe(first.seq);
    const mine = page.locator(`.msg[data-seq="${reply.seq}"]`);
    await mine.locator(".reply-quote").click();
    await page.locator(`.msg.flash[data-seq="${first.seq}"]`).waitFor();

    // Edit in place, then delete.
    await mine.hover();
    await mine.getByRole("button", { name: "Edit", exact: true }).click();
    await mine.locator(".edit-box").fill("agreed, with **changes**");
    await mine.locator(".edit-box").press("Enter");
    await mine.locator(".edited").waitFor();
    expect(await mine.locator(".text strong").textContent()).toBe("changes");
    await mine.hover();
    await mine.getByRole("button", { name: "Delete", exact: true }).click();
    await mine.getByText("Message deleted").waitFor();
    await eventually(async () => expect(await mine.locator(".text strong").count()).toBe(0));

    // Search opens the message in context.
    const walrus = await say("the walrus has landed");
    await page.getByLabel("Search messages").fill("walrus");
    await page.getByLabel("Search messages").press("Enter");
    await page.locator(".search-hit", { hasText: "the walrus has landed" }).click();
    await page.locator(`.msg.flash[data-seq="${walrus.seq}"]`).waitFor();

    // @name completes with Tab in the composer.
    const box = page.locator(".composer-input");
    await box.fill(`hi @${bob.user.name.slice(0, 3)}`);
    await box.press("Tab");
    expect(await box.inputValue()).toBe(`hi @${bob.user.name} `);
    await box.fill("");

    // A mention in a room not on screen is counted apart in the sidebar.
    await createRoomInPage(page, unique("other"));
    await say(`@${aliceName} ping`);
    const entry = page.locator(`button.conversation[data-room="${roomId}"]`);
    await entry.locator(".mention-count", { hasText: "@1" }).waitFor();
    await entry.click();
    await row.waitFor();

    // Cut off: the server dies; bob edits and reacts meanwhile; the page shows the final state.
    await server.kill();
    await page.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
    server = web.adopt(await spawnWebServer(db, port));
    b = await connect(server.wsUrl, bob.token);
    const change = (fields: object) =>
      b.request({
        type: "event",
        room: roomId,
        cid: unique("e"),
        target: first.seq,
        ...fields,
      } as never);
    await change({ kind: "edit", body: "rewritten while you were away" });
    await change({ kind: "react", emoji: "👀" });
    await row.getByText("rewritten while you were away").waitFor({ timeout: 30_000 });
    await row.locator(".edited").waitFor();
    await row.locator(".reactions .chip", { hasText: "👀 1" }).waitFor();
    expect(errors).toEqual([]);
  });
});
