/**
 * The README's screenshots, made the way a user would see the app: `bun run screenshots`
 * starts a server on a temporary database, fills it through the API and the shared client
 * code, drives Debian's chromium, and writes docs/screenshots/*.png. Not a test; run it by
 * hand after a visible change and commit the PNGs the README shows.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { SessionStore } from "../../src/client/session-store.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { FileTransfer } from "../../src/client-core/file-transfer.ts";
import { spawnClient } from "../client/pty.ts";
import { type Account, createRoom, joinRoom, register } from "../support/client.ts";
import { ROOT, tempDir } from "../support/server.ts";
import { launchBrowser, openAs, spawnWebServer } from "./browser.ts";
import { paintedPng } from "./png.ts";
import { lastFrameHtml, terminalsPage } from "./terminal-shot.ts";

const OUT = join(ROOT, "docs", "screenshots");

const dir = tempDir("parley-shots-");
const server = await spawnWebServer(join(dir.path, "shots.db"));
const connections: Connection[] = [];
let browser: Browser | undefined;

function connect(a: Account): Connection {
  const conn = new Connection({ server: server.url, token: a.token });
  connections.push(conn);
  conn.start();
  return conn;
}

async function settled(conn: Connection): Promise<void> {
  while (conn.pending().length > 0) await Bun.sleep(50);
}

/** A sunset over hills: something worth previewing. */
const picture = paintedPng(640, 400, (x, y) => {
  const hill = 300 + 40 * Math.sin(x / 70) + 20 * Math.cos(x / 23);
  if (y > hill) return [40 + (y - hill) / 3, 70 + (y - hill) / 4, 60];
  const sun = Math.hypot(x - 420, y - 230) < 60;
  if (sun) return [255, 214, 120];
  const t = y / 400;
  return [Math.round(250 - 90 * t), Math.round(150 - 60 * t), Math.round(120 + 100 * t)];
});

try {
  const [alice, bob, carol, dave] = await Promise.all(
    ["alice", "bob", "carol", "dave"].map((n) => register(server.url, n)),
  );
  if (!alice || !bob || !carol || !dave) throw new Error("registration failed");
  const rooms: Record<string, number> = {};
  for (const name of ["general", "design", "random", "releases"]) {
    rooms[name] = await createRoom(server.url, alice.token, name);
    for (const who of [bob, carol, dave])
      await joinRoom(server.url, who.token, rooms[name] as number);
  }
  const [b, c, d] = [connect(bob), connect(carol), connect(dave)];
  for (const conn of [b, c, d])
    await conn.attachAll((await conn.listRooms()).filter((r) => r.joined));
  await b.openDm("alice");
  const general = rooms.general as number;

  browser = await launchBrowser();
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: "light",
  });
  const desk = await openAs(context, server.url, alice);
  const page = desk.page;
  const say = async (conn: Connection | Page, text: string) => {
    if (conn instanceof Connection) {
      conn.send(general, text);
      await settled(conn);
    } else {
      const box = conn.locator(".composer-input");
      await box.fill(text);
      await box.press("Enter");
      await conn
        .locator(".pending-items .msg")
        .waitFor({ state: "detached" })
        .catch(() => {});
    }
    await Bun.sleep(150);
  };
  await page.getByRole("button", { name: "Room general" }).click();
  await say(b, "Morning all! The new build is on staging.");
  await say(c, "Nice. Did the reconnect fix make it in?");
  await say(page, "It did: kill -9 the server mid-sentence and nothing is lost.");
  await say(d, "Trying it on my phone now.");

  // alice looks elsewhere while the conversation goes on: "New" marks where she left.
  await page.getByRole("button", { name: "Room random" }).click();
  await page.getByRole("button", { name: "Notifications for #random: Mentions only" }).click();
  await page.getByLabel("Muted").check();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Room releases" }).click();
  const transfer = new FileTransfer({ server: () => server.url, token: carol.token });
  const uploaded = await transfer.upload(general, new Uint8Array(picture), {
    name: "sunset-from-the-office.png",
    type: "image/png",
  });
  await say(c, "Meanwhile, the view from the office:");
  c.send(general, "", { file: uploaded.id });
  await settled(c);
  await say(b, `Wow. @alice can we use that for the login page?`);
  c.send(rooms.design as number, "New icons are in the shared folder.");
  d.send(rooms.random as number, "Anyone up for lunch?");
  await Promise.all([settled(c), settled(d)]);
  await Bun.sleep(400);
  await page.getByRole("button", { name: /^Room general/ }).click();
  await page.locator(".file-preview:not(.loading)").waitFor();
  await Bun.sleep(500);
  await page.screenshot({ path: join(OUT, "desktop-light.png") });

  // The quick switcher, in the dark theme.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.keyboard.press("Control+k");
  await page.getByRole("dialog", { name: "Switch conversation" }).waitFor();
  await Bun.sleep(300);
  await page.screenshot({ path: join(OUT, "switcher-dark.png") });
  await page.keyboard.press("Escape");

  // A phone, dark theme.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    colorScheme: "dark",
    isMobile: true,
    hasTouch: true,
  });
  const mobile = await openAs(phone, server.url, alice);
  await mobile.page.getByRole("button", { name: "Show conversations" }).click();
  await mobile.page.getByRole("button", { name: /^Room general/ }).click();
  await mobile.page.getByRole("heading", { name: "#general" }).waitFor();
  await mobile.page.locator(".file-preview:not(.loading)").waitFor();
  await Bun.sleep(500);
  await mobile.page.screenshot({ path: join(OUT, "mobile-dark.png") });

  // The Appearance panel (Ctrl-,): the high-contrast theme, larger text. Last, since it saves
  // alice's settings on the server and every later page of hers would open with them.
  await page.emulateMedia({ colorScheme: "light" });
  await page.keyboard.press("Control+,");
  const panel = page.getByRole("dialog", { name: "Appearance" });
  await panel.waitFor();
  await panel.getByRole("group", { name: "Theme" }).getByLabel("High contrast").check();
  await panel.getByRole("group", { name: "Text size" }).getByLabel("Larger").check();
  await Bun.sleep(400);
  await page.screenshot({ path: join(OUT, "settings-panel.png") });

  // The terminal client in #general, in the default theme on a dark terminal and the
  // light-terminal theme on a light one.
  const config = tempDir("parley-shots-term-");
  const sessions = new SessionStore(join(config.path, "parley"));
  sessions.save([server.url], { ...alice, expiresAt: Date.now() + 86_400_000 });
  sessions.saveView([server.url], alice.user.id, {
    last: "#general",
    history: {},
    highlights: [],
    bell: true,
  });
  const panes = [];
  for (const [theme, fg, bg] of [
    ["default", "#d4d4d4", "#1e1e1e"],
    ["light-terminal", "#1a1d24", "#ffffff"],
  ] as const) {
    const term = spawnClient(
      ["--server", server.url, "--theme", theme],
      { XDG_CONFIG_HOME: config.path, NO_COLOR: "" },
      { cols: 78, rows: 16 },
    );
    await term.waitFor(/the login page/);
    await Bun.sleep(500);
    panes.push({
      title: `parley --theme ${theme}`,
      html: lastFrameHtml(term.raw(), fg, bg),
      fg,
      bg,
    });
    term.proc.kill("SIGKILL");
  }
  config.remove();
  const shots = await browser.newContext({ viewport: { width: 1440, height: 420 } });
  const sheet = await shots.newPage();
  await sheet.setContent(terminalsPage(panes));
  await sheet.screenshot({ path: join(OUT, "terminal-themes.png"), fullPage: true });
  console.log(
    `wrote ${OUT}/{desktop-light,switcher-dark,mobile-dark,settings-panel,terminal-themes}.png`,
  );
} finally {
  for (const c of connections) c.close();
  await browser?.close();
  await server.kill();
  dir.remove();
}
