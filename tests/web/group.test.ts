/**
 * Encrypted groups in the browser (Chromium): a browser user creates a group with two users of
 * the shared client core, they read each other, a removal is shown in the timeline, and the
 * removed member's device is not addressed by what is sent after it; replies, reactions and
 * edits in a group go sealed from the message actions, and a member's sealed edit shows.
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { EventContent } from "../../src/client-core/message-state.ts";
import { SealedChanges } from "../../src/client-core/sealed-changes.ts";
import { SecureGroups } from "../../src/client-core/secure-group.ts";
import type { Message, RoomEvent } from "../../src/protocol/index.ts";
import { startDevice } from "../client/secure-device.ts";
import { api, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  eventually,
  openPage,
  registerInPage,
  sendInPage,
  shownMessages,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("encrypted groups in the browser", () => {
  beforeAll(() => {
    if (gate.missing) throw new Error("chromium is required but /usr/bin/chromium is missing");
  });
  const web = browserSuite("group");

  /** Bob: a new account's device with its groups, keeping the texts it reads. */
  async function bobsDevice() {
    const account = await register(web.server.url, unique("bob"));
    const device = await startDevice(web.server.url, account, join(web.dir.path, "homes"));
    const groups = new SecureGroups({ conn: device.conn, dm: device.dm });
    const texts: string[] = [];
    groups.on("message", (_m, c) => c.kind === "text" && texts.push(c.text));
    return { account, device, groups, texts };
  }

  /** Creates the group `&name` with these members from the page, and waits until it is open. */
  async function createGroupInPage(page: Page, name: string, members: string[]) {
    await page.getByRole("button", { name: "New group" }).click();
    await page.getByLabel("Group name").fill(name);
    await page.getByRole("textbox", { name: "Members" }).fill(members.join(" "));
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: `&${name}` }).waitFor();
  }

  it("creates a group, sends and reads in it, and shows a removal; the removed member is not addressed after", async () => {
    const { account: bobAcc, device: bob, groups: bobGroups, texts: bobTexts } = await bobsDevice();
    const carolAcc = await register(web.server.url, unique("carol"));
    const carol = await startDevice(web.server.url, carolAcc, join(web.dir.path, "homes"));
    web.cleanups.push(() => bobGroups.close(), bob.close, carol.close);

    const context = await web.context({ viewport: { width: 1280, height: 860 } });
    const { page, errors } = await openPage(context, web.server.url);
    const alice = unique("alice");
    await registerInPage(page, alice);
    const group = unique("g");
    await createGroupInPage(page, group, [bobAcc.user.name, carolAcc.user.name]);
    await page
      .getByText(`${alice} created the group with ${bobAcc.user.name}, ${carolAcc.user.name}`)
      .waitFor();

    await eventually(async () =>
      expect(bob.conn.joinedRooms().some((r) => r.kind === "group")).toBe(true),
    );
    await sendInPage(page, "hello group, from the browser");
    await eventually(async () => expect(bobTexts).toContain("hello group, from the browser"));
    const room = bob.conn.joinedRooms().find((r) => r.kind === "group")?.id as number;
    bobGroups.send(room, "bob answers");
    await eventually(async () =>
      expect(await shownMessages(page)).toContain(`${bobAcc.user.name}: bob answers`),
    );

    await page.getByRole("button", { name: "Group", exact: true }).click();
    await page.getByRole("button", { name: `Remove ${carolAcc.user.name}` }).click();
    await page.getByText(`${alice} removed ${carolAcc.user.name}`).waitFor();
    await sendInPage(page, "after carol left");
    await eventually(async () => expect(bobTexts).toContain("after carol left"));

    const stored = await api<{ messages: Message[] }>(
      web.server.url,
      "GET",
      `/api/rooms/${room}/messages?after=0&limit=200`,
      undefined,
      bobAcc.token,
    );
    const last = stored.body.messages.at(-1) as Message;
    expect(last.body).toBe("");
    expect(last.envelope?.to.some((r) => r.u === String(carolAcc.user.id))).toBe(false);
    expect(JSON.stringify(stored.body)).not.toContain("after carol left");
    expect(errors).toEqual([]);
  });

  it("reacts, replies and edits in a group through the message actions, sealed; a member's sealed edit shows", async () => {
    const { account: bobAcc, device: bob, groups: bobGroups, texts: bobTexts } = await bobsDevice();
    const seen: { e: RoomEvent; content: EventContent }[] = [];
    const bobChanges = new SealedChanges(
      bob.conn,
      { dm: bob.dm, groups: bobGroups },
      { change: (e, content) => seen.push({ e, content }), problem: () => {} },
    );
    web.cleanups.push(
      () => bobChanges.close(),
      () => bobGroups.close(),
      bob.close,
    );

    const context = await web.context({ viewport: { width: 1280, height: 860 } });
    const { page, errors } = await openPage(context, web.server.url);
    const alice = unique("alice");
    await registerInPage(page, alice);
    const group = unique("g");
    await createGroupInPage(page, group, [bobAcc.user.name]);
    await eventually(async () =>
      expect(bob.conn.joinedRooms().some((r) => r.kind === "group")).toBe(true),
    );
    const room = bob.conn.joinedRooms().find((r) => r.kind === "group")?.id as number;
    await sendInPage(page, "see you at 2");
    await eventually(async () => expect(bobTexts).toContain("see you at 2"));
    bobGroups.send(room, "pick a time");
    const bobs = page.locator(".items .msg", { hasText: "pick a time" });
    await bobs.waitFor();
    const seqOf = async (row: typeof bobs) => Number(await row.getAttribute("data-seq"));
    const bobSeq = await seqOf(bobs);

    await bobs.hover();
    await bobs.getByRole("button", { name: "React", exact: true }).click();
    await bobs.getByRole("button", { name: "React with 🎉" }).click();
    await bobs.locator(".reactions .chip", { hasText: "🎉 1" }).waitFor();
    await bobs.hover();
    await bobs.getByRole("button", { name: "Reply", exact: true }).click();
    await page.locator(".reply-bar").waitFor();
    await sendInPage(page, "three works");
    await eventually(async () => expect(bobTexts).toContain("three works"));
    await page
      .locator(".items .msg", { hasText: "three works" })
      .locator(".reply-quote", { hasText: "pick a time" })
      .waitFor();
    const mineSeq = await seqOf(page.locator(".items .msg", { hasText: "see you at 2" }));
    const mine = page.locator(`.items .msg[data-seq="${mineSeq}"]`);
    await mine.hover();
    await mine.getByRole("button", { name: "Edit", exact: true }).click();
    await mine.locator(".edit-box").fill("see you at 3");
    await mine.locator(".edit-box").press("Enter");
    await mine.locator(".edited").waitFor();
    await eventually(async () => expect(seen.length).toBe(2));
    expect(seen.map((s) => [s.e.kind, s.e.target, s.content])).toEqual([
      ["react", bobSeq, { emoji: "🎉", on: true }],
      ["edit", mineSeq, { body: "see you at 3" }],
    ]);

    await bobChanges.send(room, { kind: "edit", target: bobSeq, body: "pick any time" });
    await page.locator(`.items .msg[data-seq="${bobSeq}"]`).getByText("pick any time").waitFor();
    const stored = await api(
      web.server.url,
      "GET",
      `/api/rooms/${room}/messages?after=0&limit=200`,
      undefined,
      bobAcc.token,
    );
    const raw = JSON.stringify(stored.body);
    for (const secret of ["see you at", "pick any", "three works", "🎉"]) {
      expect(raw).not.toContain(secret);
    }
    expect(errors).toEqual([]);
  });

  it("holds a group message while a member's keys changed, names them above the composer, and sends it once accepted", async () => {
    const { account: bobAcc, device: bob, groups: bobGroups, texts: bobTexts } = await bobsDevice();
    web.cleanups.push(() => bobGroups.close(), bob.close);

    const context = await web.context({ viewport: { width: 1280, height: 860 } });
    const { page, errors } = await openPage(context, web.server.url);
    await registerInPage(page, unique("alice"));
    const group = unique("g");
    await createGroupInPage(page, group, [bobAcc.user.name]);
    await eventually(async () =>
      expect(bob.conn.joinedRooms().some((r) => r.kind === "group")).toBe(true),
    );
    await sendInPage(page, "before the new keys");
    await eventually(async () => expect(bobTexts).toContain("before the new keys"));

    // Bob resets his account key: a new identity key, which alice has not accepted.
    await bob.dm.devices?.resetAccount();
    await sendInPage(page, "after the new keys");
    const alert = page.getByRole("alert", { name: "Keys changed" });
    await alert.getByText(bobAcc.user.name).waitFor();
    await page
      .locator(".items .msg", { hasText: "after the new keys" })
      .getByText("Waiting: keys changed")
      .waitFor();
    expect(bobTexts).not.toContain("after the new keys");

    await alert.getByRole("button", { name: "Accept new keys" }).click();
    await eventually(async () => expect(bobTexts).toContain("after the new keys"));
    expect(bobTexts.filter((t) => t === "after the new keys")).toHaveLength(1);
    await eventually(async () => expect(await alert.isVisible()).toBe(false));
    expect(errors).toEqual([]);
  });
});
