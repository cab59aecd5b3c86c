import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { unique } from "../support/client.ts";
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

describe.skipIf(gate.skip)("the installable browser client", () => {
  const web = browserSuite("offline");

  it("serves a manifest naming the app, its start page and its icon", async () => {
    const res = await fetch(`${web.server.url}/manifest.webmanifest`);
    expect(res.headers.get("content-type")).toBe("application/manifest+json");
    const manifest = (await res.json()) as {
      name: string;
      start_url: string;
      display: string;
      icons: { src: string }[];
    };
    expect([manifest.name, manifest.start_url, manifest.display]).toEqual([
      "Parley",
      "/",
      "standalone",
    ]);
    const icon = await fetch(`${web.server.url}${manifest.icons[0]?.src}`);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
  });

  it("opens from its cached shell while the server is down, showing the reconnect banner, and caches no API response", async () => {
    const db = join(web.dir.path, "offline.db");
    const node = await spawnWebServer(db);
    web.adopt(node);
    const c = await web.context({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openPage(c, node.url);
    await registerInPage(page, unique("alice"));
    await createRoomInPage(page, unique("cached"));
    await sendInPage(page, "said while online");
    await page.locator(".items:not(.pending-items) .msg").waitFor();
    expect(
      await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active?.state)),
    ).toBe("activated");
    // Once the worker controls the page, a load fills the cache with the shell.
    await page.reload();
    await page.getByRole("main", { name: "Conversation" }).waitFor();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys())
          urls.push(new URL(req.url).pathname);
      }
      return urls;
    });
    expect(cached).toContain("/");
    expect(cached.some((p) => p.endsWith(".js"))).toBe(true);
    expect(cached.filter((p) => p.startsWith("/api/") || p === "/ws")).toEqual([]);

    await node.kill();
    await page.reload();
    await page.getByRole("main", { name: "Conversation" }).waitFor();
    await page.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
    await eventually(async () =>
      expect(await page.locator(".shell").getAttribute("data-connection")).toBe("reconnecting"),
    );
    expect(errors).toEqual([]);
  });
});
