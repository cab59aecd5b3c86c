/**
 * Encrypted groups in the browser (Chromium): a browser user creates a group with two users of
 * the shared client core, they read each other, a removal is shown in the timeline, and the
 * removed member's device is not addressed by what is sent after it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { SecureGroups } from "../../src/client-core/secure-group.ts";
import type { Message } from "../../src/protocol/index.ts";
import { startDevice } from "../client/secure-device.ts";
import { api, register, unique } from "../support/client.ts";
import { type ChildServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  chromiumGate,
  eventually,
  launchBrowser,
  openPage,
  registerInPage,
  sendInPage,
  shownMessages,
  spawnWebServer,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("encrypted groups in the browser", () => {
  let browser: Browser;
  let server: ChildServer;
  const dir = tempDir("parley-web-group-");
  const contexts: BrowserContext[] = [];
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    if (gate.missing) throw new Error("chromium is required but /usr/bin/chromium is missing");
    browser = await launchBrowser();
    server = await spawnWebServer(join(dir.path, "group.db"));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
  });
  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    dir.remove();
  });

  it("creates a group, sends and reads in it, and shows a removal; the removed member is not addressed after", async () => {
    const bobAcc = await register(server.url, unique("bob"));
    const carolAcc = await register(server.url, unique("carol"));
    const bob = await startDevice(server.url, bobAcc, join(dir.path, "homes"));
    const carol = await startDevice(server.url, carolAcc, join(dir.path, "homes"));
    const bobGroups = new SecureGroups({ conn: bob.conn, dm: bob.dm });
    const bobTexts: string[] = [];
    bobGroups.on("message", (_m, c) => c.kind === "text" && bobTexts.push(c.text));
    cleanups.push(() => bobGroups.close(), bob.close, carol.close);

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const { page, errors } = await openPage(context, server.url);
    const alice = unique("alice");
    await registerInPage(page, alice);
    const group = unique("g");
    await page.getByRole("button", { name: "New group" }).click();
    await page.getByLabel("Group name").fill(group);
    await page
      .getByRole("textbox", { name: "Members" })
      .fill(`${bobAcc.user.name} ${carolAcc.user.name}`);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: `&${group}` }).waitFor();
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
      server.url,
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
});
