/**
 * The room's own events in the browser, as a person sees them: joins, leaves, kicks, mutes,
 * role and topic changes as lines of the timeline, live and after a reload; reporting a message
 * and a moderator resolving it; an archived room's sidebar tag and disabled composer; and the
 * admin page renaming and archiving a room.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { RoomSummary, ServerFrameOf } from "../../src/protocol/index.ts";
import { type Account, api, connect, register, unique } from "../support/client.ts";
import { type ChildServer, ROOT, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { chromiumGate, eventually, launchBrowser, openAs, spawnWebServer } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("room events in the browser", () => {
  let browser: Browser;
  let server: ChildServer;
  const dir = tempDir("parley-web-room-events-");
  const db = () => join(dir.path, "events.db");

  beforeAll(async () => {
    if (gate.missing) throw new Error("chromium is required but /usr/bin/chromium is missing");
    browser = await launchBrowser();
    server = await spawnWebServer(db());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    dir.remove();
  });

  const call = (who: Account, method: string, path: string, body?: unknown) =>
    api<Record<string, unknown> & { code?: string }>(server.url, method, path, body, who.token);

  async function roomOf(owner: Account): Promise<RoomSummary> {
    const res = await api<{ room: RoomSummary }>(
      server.url,
      "POST",
      "/api/rooms",
      { name: unique("ev") },
      owner.token,
    );
    return res.body.room;
  }

  async function show(page: Page, name: string) {
    await page.getByRole("button", { name: new RegExp(`^Room ${name}`) }).click();
    await page.getByRole("heading", { name: `#${name}` }).waitFor();
  }

  const line = (page: Page, text: string) => page.locator(".items li.notice", { hasText: text });

  it("shows joins, leaves, kicks, mutes, roles and topics as timeline lines, live and after a reload", async () => {
    const alice = await register(server.url, unique("al"));
    const [bob, carol] = await Promise.all([
      register(server.url, unique("bo")),
      register(server.url, unique("ca")),
    ]);
    const room = await roomOf(alice);
    await call(bob, "POST", `/api/rooms/${room.id}/join`);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(context, server.url, alice);
    await show(page, room.name);
    // Bob's join happened before the page opened: it is in the history shown.
    await line(page, `${bob.user.name} joined`).waitFor();

    // Live, in order: each a line of its own.
    await call(carol, "POST", `/api/rooms/${room.id}/join`);
    await call(alice, "POST", `/api/rooms/${room.id}/moderation`, {
      action: "op",
      user: bob.user.name,
    });
    await call(alice, "PUT", `/api/rooms/${room.id}/topic`, { topic: "be kind" });
    await call(alice, "POST", `/api/rooms/${room.id}/moderation`, {
      action: "mute",
      user: carol.user.name,
      reason: "flooding",
    });
    await call(alice, "POST", `/api/rooms/${room.id}/moderation`, {
      action: "kick",
      user: carol.user.name,
      reason: "spam",
    });
    await call(bob, "POST", `/api/rooms/${room.id}/leave`);
    const expected = [
      `${bob.user.name} joined`,
      `${carol.user.name} joined`,
      `${alice.user.name} made ${bob.user.name} a moderator`,
      `${alice.user.name} set the topic: be kind`,
      `${alice.user.name} muted ${carol.user.name}: flooding`,
      `${alice.user.name} kicked ${carol.user.name}: spam`,
      `${bob.user.name} left`,
    ];
    const notices = page.locator(".items li.notice");
    await eventually(async () => expect(await notices.allTextContents()).toEqual(expected));

    // After a reload the same lines come back from the history, in the same order.
    await page.reload();
    await show(page, room.name);
    await eventually(async () => expect(await notices.allTextContents()).toEqual(expected));
    expect(errors).toEqual([]);
    await context.close();
  });

  it("reports a message with a reason; a moderator sees it and resolves it", async () => {
    const owner = await register(server.url, unique("ow"));
    const bob = await register(server.url, unique("bo"));
    const room = await roomOf(owner);
    await call(bob, "POST", `/api/rooms/${room.id}/join`);
    const ownerWs = await connect(server.wsUrl, owner.token);
    await ownerWs.request({ type: "join", room: room.id });
    await ownerWs.request({ type: "send", room: room.id, cid: unique("c"), body: "buy pills" });
    ownerWs.ws.close();

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(context, server.url, bob);
    await show(page, room.name);
    const row = page.locator(".msg", { hasText: "buy pills" });
    await row.hover();
    await row.getByRole("button", { name: "Report", exact: true }).click();
    const dialog = page.locator("dialog.report-dialog");
    await dialog.getByLabel("Why are you reporting it?").fill("spam");
    await dialog.getByRole("button", { name: "Send report" }).click();
    await dialog.getByText("Reported.").waitFor();
    const listed = await call(owner, "GET", `/api/rooms/${room.id}/reports`);
    expect(listed.body.reports).toEqual([
      expect.objectContaining({ reason: "spam", reporter: bob.user }),
    ]);
    // A member has no reports list: the button is for moderators.
    await dialog.getByRole("button", { name: "Close" }).click();
    await page.getByRole("button", { name: "Members" }).click();
    const bobPanel = page.locator("dialog.member-panel");
    await bobPanel.getByRole("button", { name: "Leave room" }).waitFor();
    expect(await bobPanel.getByRole("button", { name: "Open reports" }).count()).toBe(0);
    await context.close();

    const ownerContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const mod = await openAs(ownerContext, server.url, owner);
    await show(mod.page, room.name);
    await mod.page.getByRole("button", { name: "Members" }).click();
    await mod.page
      .locator("dialog.member-panel")
      .getByRole("button", { name: "Open reports" })
      .click();
    const reports = mod.page.locator("dialog.report-dialog");
    await reports.locator("li.report", { hasText: "buy pills" }).waitFor();
    const id = (listed.body.reports as { id: number }[])[0]?.id as number;
    await reports.getByLabel(`What was done about report ${id}`).fill("deleted it");
    await reports.getByRole("button", { name: `Resolve report ${id}` }).click();
    await reports.getByText("No open reports.").waitFor();
    const all = await call(owner, "GET", `/api/rooms/${room.id}/reports?all=1`);
    expect(all.body.reports).toEqual([expect.objectContaining({ outcome: "deleted it" })]);
    expect([...errors, ...mod.errors]).toEqual([]);
    await ownerContext.close();
  });

  it("lets an admin rename and archive a room from the admin page; the archived room is read-only", async () => {
    const root = await register(server.url, unique("root"));
    const owner = await register(server.url, unique("ow"));
    const room = await roomOf(owner);
    await call(root, "POST", `/api/rooms/${room.id}/join`);
    const promote = Bun.spawn(
      [process.execPath, join(ROOT, "server.ts"), "admin", "promote", root.user.name, "--db", db()],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await promote.exited).toBe(0);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(context, server.url, root);
    await show(page, room.name);
    await page.getByRole("button", { name: "Admin" }).click();
    const admin = page.locator("dialog.admin-page");
    const renamed = unique("nw");
    await admin.getByLabel(`New name for #${room.name}`).fill(renamed);
    await admin.getByRole("button", { name: `Rename #${room.name}` }).click();
    page.on("dialog", (d) => void d.accept());
    await admin.getByRole("button", { name: `Archive #${renamed}` }).click();
    await admin.locator("li", { hasText: `#${renamed} (archived)` }).waitFor();
    await admin.getByRole("button", { name: "Close" }).click();

    // The timeline says both; the sidebar tags the room and the composer is off, saying why.
    await line(page, `${root.user.name} renamed the room to #${renamed}`).waitFor();
    await line(page, `${root.user.name} archived the room`).waitFor();
    await page
      .getByRole("button", { name: new RegExp(`Room ${renamed}.*archived, read-only`) })
      .waitFor();
    await eventually(async () =>
      expect(await page.getByRole("textbox", { name: /Message/ }).isDisabled()).toBe(true),
    );
    await page.getByText("This room is archived: it can be read, not written.").waitFor();
    const rooms = await api<{ rooms: RoomSummary[] }>(
      server.url,
      "GET",
      "/api/rooms",
      undefined,
      owner.token,
    );
    expect(rooms.body.rooms.find((r) => r.id === room.id)).toMatchObject({
      name: renamed,
      archived: true,
    });
    expect(errors).toEqual([]);
    await context.close();
  });
  it("lets a moderator delete someone's message, mute and ban from the panel, and the owner read the audit log", async () => {
    const owner = await register(server.url, unique("ow"));
    const [mod, bob, carol] = await Promise.all(
      ["mo", "bo", "ca"].map((p) => register(server.url, unique(p))),
    );
    const room = await roomOf(owner);
    for (const a of [mod, bob, carol] as Account[]) {
      await call(a as Account, "POST", `/api/rooms/${room.id}/join`);
    }
    await call(owner, "POST", `/api/rooms/${room.id}/moderation`, {
      action: "op",
      user: (mod as Account).user.name,
    });
    const bobWs = await connect(server.wsUrl, (bob as Account).token);
    await bobWs.request({ type: "join", room: room.id });
    await bobWs.request({ type: "send", room: room.id, cid: unique("c"), body: "kept words" });
    const sent = await bobWs.request<ServerFrameOf<"ack">>({
      type: "send",
      room: room.id,
      cid: unique("c"),
      body: "rude words",
    });

    // The moderator sees Delete on bob's message and uses it; carol, a member, does not.
    const modContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(modContext, server.url, mod as Account);
    await show(page, room.name);
    const row = page.locator(".msg", { hasText: "rude words" });
    await row.hover();
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Delete", exact: true }).click();
    expect(await bobWs.waitFor((f) => f.type === "event" && f.kind === "delete")).toMatchObject({
      target: sent.seq,
      from: (mod as Account).user,
    });

    // Mute carol for an hour and ban bob from the member panel.
    await page.getByRole("button", { name: "Members" }).click();
    const panel = page.locator("dialog.member-panel");
    await panel.getByRole("button", { name: `Mute 1 h ${(carol as Account).user.name}` }).click();
    await panel
      .locator("li", { hasText: `${(carol as Account).user.name} (` })
      .filter({ hasText: "muted" })
      .waitFor();
    await panel
      .getByRole("button", { name: `Ban ${(bob as Account).user.name}`, exact: true })
      .click();
    expect(await bobWs.waitFor((f) => f.type === "removed")).toMatchObject({ reason: "banned" });
    await panel.getByRole("button", { name: "Close" }).click();
    await line(
      page,
      `${(mod as Account).user.name} muted ${(carol as Account).user.name}`,
    ).waitFor();
    await line(
      page,
      `${(mod as Account).user.name} banned ${(bob as Account).user.name}`,
    ).waitFor();
    bobWs.ws.close();

    const carolContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const c = await openAs(carolContext, server.url, carol as Account);
    await show(c.page, room.name);
    const kept = c.page.locator(".msg", { hasText: "kept words" });
    await kept.hover();
    await kept.getByRole("button", { name: "Report" }).waitFor();
    expect(await kept.getByRole("button", { name: "Delete", exact: true }).count()).toBe(0);
    await carolContext.close();

    // The owner reads the room's audit log in the member panel.
    const ownerContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const o = await openAs(ownerContext, server.url, owner);
    await show(o.page, room.name);
    await o.page.getByRole("button", { name: "Members" }).click();
    const ownerPanel = o.page.locator("dialog.member-panel");
    await ownerPanel.getByRole("button", { name: "Audit log" }).click();
    for (const action of ["message_delete", "mute", "ban", "role"]) {
      await ownerPanel
        .locator("li.audit-entry", { hasText: ` ${action} ` })
        .first()
        .waitFor();
    }
    expect([...errors, ...o.errors]).toEqual([]);
    await Promise.all([modContext.close(), ownerContext.close()]);
  });
});
