/**
 * Changes to encrypted DMs in the browser (Chromium): react, reply, edit and delete offered on
 * a DM's messages, sealed on their way (the terminal peer's device opens them); the peer's
 * sealed edit and reaction shown; and after a reload, the edited DM read from history in its
 * current state.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { EventContent } from "../../src/client-core/message-state.ts";
import { SealedChanges } from "../../src/client-core/sealed-changes.ts";
import type { Message, RoomEvent } from "../../src/protocol/index.ts";
import { api, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openPage, sendInPage } from "./browser.ts";
import { browserUserWritingTo, terminalPeer } from "./dm-peer.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("changes to encrypted DMs in the browser", () => {
  const web = browserSuite("dm-messages");

  it("reacts, replies, edits and deletes in a DM, sealed, and shows the peer's sealed changes", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await terminalPeer({
      server: web.server.url,
      home: join(web.dir.path, "bob"),
      account: bobAccount,
      cleanups: web.cleanups,
    });
    const seen: { e: RoomEvent; content: EventContent }[] = [];
    const bobChanges = new SealedChanges(
      bob.conn,
      { dm: bob.dm },
      {
        change: (e, content) => seen.push({ e, content }),
        problem: (text) => seen.push({ e: { kind: "problem" } as never, content: { body: text } }),
      },
    );
    web.cleanups.unshift(() => bobChanges.close());
    const c = await web.context({ viewport: { width: 1280, height: 860 } });
    const { page, errors } = await openPage(c, web.server.url);
    const aliceName = unique("alice");
    const room = await browserUserWritingTo(page, aliceName, bobAccount.user.name);

    await sendInPage(page, "see you at 2");
    await eventually(async () => expect(bob.texts()).toEqual(["see you at 2"]));
    bob.dm.send(room, "pick a time");
    const bobs = page.locator(".items .msg", { hasText: "pick a time" });
    await bobs.waitFor();
    const seqOf = async (row: typeof bobs) => Number(await row.getAttribute("data-seq"));
    const bobSeq = await seqOf(bobs);

    // React through the hover actions: the chip shows it, and bob's device opens the emoji.
    await bobs.hover();
    await bobs.getByRole("button", { name: "React", exact: true }).click();
    await bobs.getByRole("button", { name: "React with 🎉" }).click();
    await bobs.locator(".reactions .chip", { hasText: "🎉 1" }).waitFor();
    await eventually(async () => expect(seen.length).toBe(1));
    expect(seen[0]).toMatchObject({
      e: { kind: "react", target: bobSeq },
      content: { emoji: "🎉", on: true },
    });

    // Reply: sealed, quoting the original from what the page shows.
    await bobs.hover();
    await bobs.getByRole("button", { name: "Reply", exact: true }).click();
    await page.locator(".reply-bar").waitFor();
    await sendInPage(page, "three works");
    await eventually(async () => expect(bob.texts()).toContain("three works"));
    const reply = page.locator(".items .msg", { hasText: "three works" });
    await reply.locator(".reply-quote", { hasText: "pick a time" }).waitFor();

    // Edit one's own DM in place, and delete the reply.
    const mineSeq = await seqOf(page.locator(".items .msg", { hasText: "see you at 2" }));
    const edited = page.locator(`.items .msg[data-seq="${mineSeq}"]`);
    await edited.hover();
    await edited.getByRole("button", { name: "Edit", exact: true }).click();
    await edited.locator(".edit-box").fill("see you at **3**");
    await edited.locator(".edit-box").press("Enter");
    await edited.locator(".edited").waitFor();
    expect(await edited.locator(".text strong").textContent()).toBe("3");
    const replySeq = await seqOf(reply);
    page.once("dialog", (d) => void d.accept());
    await reply.hover();
    await reply.getByRole("button", { name: "Delete", exact: true }).click();
    await page
      .locator(`.items .msg[data-seq="${replySeq}"]`)
      .getByText("Message deleted")
      .waitFor();
    await eventually(async () => expect(seen.length).toBe(3));
    expect(seen.slice(1).map((s) => [s.e.kind, s.e.target, s.content.body])).toEqual([
      ["edit", mineSeq, "see you at **3**"],
      ["delete", replySeq, undefined],
    ]);

    // Bob's sealed edit and reaction show on the page.
    await bobChanges.send(room, { kind: "edit", target: bobSeq, body: "pick any time" });
    await bobChanges.send(room, { kind: "react", target: mineSeq, emoji: "👀", on: true });
    const bobsNow = page.locator(`.items .msg[data-seq="${bobSeq}"]`);
    await bobsNow.getByText("pick any time").waitFor();
    await bobsNow.locator(".edited").waitFor();
    await edited.locator(".reactions .chip", { hasText: "👀 1" }).waitFor();

    // The server stored none of it in the clear.
    const stored = await api<{ messages: Message[]; events?: RoomEvent[] }>(
      web.server.url,
      "GET",
      `/api/rooms/${room}/messages?after=0&limit=200`,
      undefined,
      bobAccount.token,
    );
    const raw = JSON.stringify(stored.body);
    for (const secret of ["see you at", "pick any", "three works", "🎉", "👀"]) {
      expect(raw).not.toContain(secret);
    }

    // A reload reads the DM's history: the edited messages open to their new text.
    await page.reload();
    await page
      .getByRole("button", { name: `Direct messages with ${bobAccount.user.name}` })
      .click();
    const again = page.locator(`.items .msg[data-seq="${mineSeq}"]`);
    await again.locator(".edited").waitFor();
    expect(await again.locator(".text strong").textContent()).toBe("3");
    await page.locator(`.items .msg[data-seq="${bobSeq}"]`).getByText("pick any time").waitFor();
    await page
      .locator(`.items .msg[data-seq="${replySeq}"]`)
      .getByText("Message deleted")
      .waitFor();
    expect(await page.locator(".placeholder.sealed").count()).toBe(0);
    expect(seen.filter((s) => s.e.kind === ("problem" as never))).toEqual([]);
    expect(errors).toEqual([]);
  });
});
