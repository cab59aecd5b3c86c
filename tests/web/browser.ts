/**
 * Browser tests' shared parts: Debian's chromium driven by playwright-core, a real server as a
 * child process serving the web client, and page helpers that act as a user would.
 *
 * Without /usr/bin/chromium the suites skip with a printed notice, unless
 * PARLEY_REQUIRE_SERVICES=1 (CI), where they fail loudly.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import { type ChildServer, ROOT, spawnServer, tempDir } from "../support/server.ts";
import { REQUIRE_SERVICES } from "../support/services.ts";

export const CHROMIUM = "/usr/bin/chromium";

/** True when the browser suites should be skipped (chromium missing and not required). */
export function chromiumGate(): { skip: boolean; missing: boolean } {
  if (existsSync(CHROMIUM)) return { skip: false, missing: false };
  if (REQUIRE_SERVICES) {
    console.error(
      `\n!!! chromium is required (PARLEY_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing: apt-get install -y chromium\n`,
    );
    return { skip: false, missing: true };
  }
  console.warn(
    `[skip] ${CHROMIUM} is missing (apt-get install -y chromium); skipping browser tests.`,
  );
  return { skip: true, missing: true };
}

/**
 * Playwright gives every launch a fresh temporary profile of its own (it refuses
 * --user-data-dir in launch()), so no state leaks between runs.
 */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is required but ${CHROMIUM} is missing`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
  });
}

/** Where screenshots go: a temp folder, never the repository. */
export function shotDir(): string {
  const dir = join(tmpdir(), "parley-web-shots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The server as a user runs it: `bun server.ts` in production mode (NODE_ENV=production, as in
 * the compiled binary: the page is bundled once, with no dev-server reload client).
 */
export function spawnWebServer(db: string, port = 0, extraArgs: string[] = []) {
  return spawnServer({
    db,
    port,
    extraArgs,
    command: ["env", "NODE_ENV=production", process.execPath, join(ROOT, "server.ts")],
  });
}

/** What a browser suite's tests share (see browserSuite). */
export interface BrowserSuite {
  /** Chromium, launched once for the block. */
  readonly browser: Browser;
  /** The block's web server, on a database in `dir`. */
  readonly server: ChildServer;
  /** The block's temporary folder: its database, terminal peers' homes, extra servers' files. */
  readonly dir: { readonly path: string };
  /** Run after each test, in order, before its contexts close: terminal peers, sockets, … */
  readonly cleanups: (() => unknown)[];
  /** A browser context of this test's, closed after it. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A server this test started itself (another database, a restart), killed after it. */
  adopt(child: ChildServer): ChildServer;
}

/**
 * The set-up every browser suite shares, registered on the enclosing `describe`: Chromium and a
 * web server for the whole block, torn down after it; the contexts, servers and clean-ups a
 * test adds, ended after that test whatever failed. `name` names the folder and the database.
 */
export function browserSuite(name: string, serverArgs: string[] = []): BrowserSuite {
  const dir = tempDir(`parley-web-${name}-`);
  const contexts: BrowserContext[] = [];
  const children: ChildServer[] = [];
  const cleanups: (() => unknown)[] = [];
  let browser: Browser | undefined;
  let server: ChildServer | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the suite's ${what} is not started yet`);
    return value;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await spawnWebServer(join(dir.path, `${name}.db`), 0, serverArgs);
  });

  afterEach(async () => {
    // A clean-up that fails must not keep the rest (or the next test's) from running.
    for (const c of cleanups.splice(0)) await Promise.try(c).catch(() => {});
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
    for (const c of children.splice(0)) await c.kill().catch(() => {});
  });

  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    dir.remove();
  });

  return {
    get browser() {
      return started(browser, "browser");
    },
    get server() {
      return started(server, "server");
    },
    dir,
    cleanups,
    async context(options = { viewport: { width: 1440, height: 900 } }) {
      const c = await started(browser, "browser").newContext(options);
      contexts.push(c);
      return c;
    },
    adopt(child) {
      children.push(child);
      return child;
    },
  };
}

export interface PageErrors {
  errors: string[];
}

/** A new page that records uncaught errors, for asserting none happened. */
export async function openPage(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; errors: string[]; frames: { sent: string[]; errors: string[] } }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const frames = recordFrames(page);
  await page.goto(url);
  return { page, errors, frames };
}

/** Registers through the login screen and waits for the chat. */
export async function registerInPage(page: Page, username: string): Promise<void> {
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("correct horse");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("main", { name: "Conversation" }).waitFor();
}

/** Opens the rooms dialog from the sidebar, showing the sidebar first on a narrow screen. */
async function openRoomDialog(page: Page): Promise<void> {
  const menu = page.getByRole("button", { name: "Show conversations" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("button", { name: "Create or join a room" }).click();
}

export async function createRoomInPage(page: Page, name: string): Promise<void> {
  await openRoomDialog(page);
  await page.getByLabel("Room name").fill(name);
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("heading", { name: `#${name}` }).waitFor();
}

export async function joinRoomInPage(page: Page, name: string): Promise<void> {
  await openRoomDialog(page);
  await page.getByRole("button", { name: `Join #${name} ` }).click();
  await page.getByRole("heading", { name: `#${name}` }).waitFor();
}

export async function sendInPage(page: Page, text: string): Promise<void> {
  const box = page.locator(".composer-input");
  await box.fill(text);
  await box.press("Enter");
}

/** The stored messages on screen, oldest first, as "sender: text". */
export function shownMessages(page: Page): Promise<string[]> {
  return page
    .locator(".items:not(.pending-items) .msg")
    .evaluateAll((rows) =>
      rows.map(
        (r) => `${(r as HTMLElement).dataset.from}: ${r.querySelector(".text")?.textContent ?? ""}`,
      ),
    );
}

/** Waits until `check` passes, retrying; the last failure is thrown at the deadline. */
export async function eventually(check: () => Promise<void>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await Bun.sleep(100);
    }
  }
}

/** Opens the app already logged in as `account` (its session put where a login leaves it). */
export async function openAs(
  context: BrowserContext,
  url: string,
  account: { token: string; user: { id: number; name: string } },
): Promise<{ page: Page; errors: string[]; frames: { sent: string[]; errors: string[] } }> {
  await context.addInitScript(
    (session) => {
      if (!localStorage.getItem("parley.session")) {
        localStorage.setItem("parley.session", session);
      }
    },
    JSON.stringify({ token: account.token, user: account.user }),
  );
  const opened = await openPage(context, url);
  await opened.page.getByRole("main", { name: "Conversation" }).waitFor();
  return opened;
}

/** Every request frame the page sends on its sockets, by type, and every error code it gets. */
export function recordFrames(page: Page): { sent: string[]; errors: string[] } {
  const seen = { sent: [] as string[], errors: [] as string[] };
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => {
      const type = frameField(f.payload, "type");
      if (type) seen.sent.push(type);
    });
    ws.on("framereceived", (f) => {
      if (frameField(f.payload, "type") === "error")
        seen.errors.push(frameField(f.payload, "code") ?? "");
    });
  });
  return seen;
}

function frameField(payload: string | Buffer, field: string): string | undefined {
  try {
    const v = (JSON.parse(String(payload)) as Record<string, unknown>)[field];
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}
