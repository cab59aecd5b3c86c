import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { register, unique } from "../support/client.ts";
import { ROOT, spawnServer } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  joinRoomInPage,
  openPage,
  registerInPage,
  shotDir,
} from "./browser.ts";
import { solidPng } from "./png.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

/** A 2×2 PNG (red, green, blue, white): small, and a real image the browser must decode. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAAMIM/4EAAB/uBfsL2WiLAAAAAElFTkSuQmCC",
  "base64",
);

/** Bytes no text encoding would keep intact: every byte value, then pseudo-random ones. */
function binaryBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    if (i < 256) out[i] = i;
    else {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
  }
  return out;
}

async function token(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse(localStorage.getItem("parley.session") ?? "{}").token);
}

describe.skipIf(gate.skip)("files in the browser client", () => {
  const web = browserSuite("files");

  function context(): Promise<BrowserContext> {
    return web.context({ viewport: { width: 1280, height: 860 } });
  }

  it("shares a file and an image; another member sees the card and the inline image and downloads the same bytes; a non-member gets NOT_MEMBER", async () => {
    const alice = await openPage(await context(), web.server.url);
    const bob = await openPage(await context(), web.server.url);
    const room = unique("share");
    await registerInPage(alice.page, unique("alice"));
    await createRoomInPage(alice.page, room);
    await registerInPage(bob.page, unique("bob"));
    await joinRoomInPage(bob.page, room);

    const bytes = binaryBytes(70_000);
    await alice.page.locator(".file-input").setInputFiles({
      name: "report 2026.bin",
      mimeType: "application/octet-stream",
      buffer: bytes,
    });
    await alice.page
      .locator(".items:not(.pending-items) .msg .file-card", { hasText: "report 2026.bin" })
      .waitFor();
    await alice.page.locator(".file-input").setInputFiles({
      name: "dot.png",
      mimeType: "image/png",
      buffer: PNG,
    });

    // bob sees the card (name, size, a download button) and the image, decoded from its blob.
    const card = bob.page.locator(".items .msg .file-card", { hasText: "report 2026.bin" });
    await card.waitFor();
    expect(await card.locator(".file-size").textContent()).toBe("68.4 KB");
    const image = bob.page.locator(".items .msg .file-preview img.file-image");
    await eventually(async () => {
      const shown = await image.evaluate((img: HTMLImageElement) => ({
        src: img.src,
        width: img.naturalWidth,
        alt: img.alt,
      }));
      expect(shown.src.startsWith("blob:")).toBe(true);
      expect(shown.width).toBe(2);
      expect(shown.alt).toBe("dot.png");
    });
    // Files come in the order shared, after nothing is left pending on alice's side.
    await eventually(async () =>
      expect(await alice.page.locator(".pending-items .msg").count()).toBe(0),
    );
    const order = await bob.page
      .locator(".items .msg")
      .evaluateAll((rows) =>
        rows.map((r) =>
          r.querySelector(".file-card") ? "card" : r.querySelector("img") ? "image" : "?",
        ),
      );
    expect(order).toEqual(["card", "image"]);

    const [download] = await Promise.all([
      bob.page.waitForEvent("download"),
      card.getByRole("button", { name: "Download report 2026.bin" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("report 2026.bin");
    const saved = readFileSync(await download.path());
    expect(saved.equals(bytes)).toBe(true);

    // Someone outside the room is refused the same file, with the coded error.
    const id = await card.getAttribute("data-file");
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const carol = await register(web.server.url, unique("carol"));
    const refused = await fetch(`${web.server.url}/api/files/${id}`, {
      headers: { authorization: `Bearer ${carol.token}` },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe("NOT_MEMBER");
    // And the member's own token works through the same API (the browser used it).
    const fetched = await fetch(`${web.server.url}/api/files/${id}`, {
      headers: { authorization: `Bearer ${await token(bob.page)}` },
    });
    expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);

    await bob.page.screenshot({ path: join(shotDir(), "files-bob.png") });
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });

  it("shares files dropped onto the conversation", async () => {
    const alice = await openPage(await context(), web.server.url);
    await registerInPage(alice.page, unique("alice"));
    await createRoomInPage(alice.page, unique("drop"));
    const dropped = await alice.page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["first dropped\n"], "one.txt", { type: "text/plain" }));
      dt.items.add(new File(["second dropped\n"], "two.txt", { type: "text/plain" }));
      // A right-to-left override would show this as "exe.png": it must show as it is.
      dt.items.add(new File(["third dropped\n"], "\u202egnp.exe", { type: "text/plain" }));
      return dt;
    });
    const chat = alice.page.getByRole("main", { name: "Conversation" });
    await chat.dispatchEvent("dragenter", { dataTransfer: dropped });
    await eventually(async () => expect(await chat.getAttribute("data-drop")).toBe("over"));
    await chat.dispatchEvent("drop", { dataTransfer: dropped });
    await eventually(async () => {
      const names = await alice.page
        .locator(".items:not(.pending-items) .msg .file-name")
        .allTextContents();
      expect(names).toEqual(["one.txt", "two.txt", "[U+202E]gnp.exe"]);
    });
    expect(await chat.getAttribute("data-drop")).toBeNull();
    expect(alice.errors).toEqual([]);
  });

  it("refuses a file over the server's limit before uploading it, saying the limit, and shares nothing", async () => {
    const node = await spawnServer({
      db: join(web.dir.path, "small-limit.db"),
      extraArgs: ["--max-upload-bytes", "4096"],
      command: ["env", "NODE_ENV=production", process.execPath, join(ROOT, "server.ts")],
    });
    web.adopt(node);
    const alice = await openPage(await context(), node.url);
    const uploads: string[] = [];
    alice.page.on("request", (r) => {
      if (r.url().includes("/files")) uploads.push(r.url());
    });
    await registerInPage(alice.page, unique("alice"));
    await createRoomInPage(alice.page, unique("big"));
    await alice.page.locator(".file-input").setInputFiles({
      name: "huge.bin",
      mimeType: "application/octet-stream",
      buffer: binaryBytes(10_000),
    });
    const failed = alice.page.locator(".pending-items .msg.failed", { hasText: "huge.bin" });
    await failed.waitFor();
    const status = await failed.locator(".status.failed").textContent();
    // Refused from hello.limits before any upload, in the units people read.
    expect(status).toBe(
      "Not sent: huge.bin is too large to share (9.8 KB): files can be at most 4 KB.",
    );
    expect(uploads).toEqual([]);
    // No Retry for a file that would be refused again; Dismiss takes it away.
    expect(await failed.getByRole("button", { name: "Retry sending huge.bin" }).count()).toBe(0);
    await failed.getByRole("button", { name: "Dismiss huge.bin" }).click();
    await eventually(async () => expect(await failed.count()).toBe(0));
    await alice.page.screenshot({ path: join(shotDir(), "files-too-large.png") });
    // A file under the limit still goes through afterwards.
    await alice.page.locator(".file-input").setInputFiles({
      name: "small.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("fits\n"),
    });
    const stored = alice.page.locator(".items:not(.pending-items) .msg");
    await stored.locator(".file-name", { hasText: "small.txt" }).waitFor();
    expect(await stored.count()).toBe(1);
    expect(alice.errors).toEqual([]);
  });
  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 375, height: 740 },
  ]) {
    it(`opens a shared image full size with a Download button, and previews a 4000×300 image legibly, at ${viewport.width} px`, async () => {
      const c = await web.context({ viewport });
      const alice = await openPage(c, web.server.url);
      await registerInPage(alice.page, unique("alice"));
      await createRoomInPage(alice.page, unique("wide"));
      await alice.page.locator(".file-input").setInputFiles({
        name: "panorama.png",
        mimeType: "image/png",
        buffer: solidPng(4000, 300),
      });
      const preview = alice.page.locator(".items:not(.pending-items) .file-preview:not(.loading)");
      await preview.waitFor();
      const box = await preview.locator("img").boundingBox();
      if (!box) throw new Error("the preview is not on screen");
      expect(box.height).toBeGreaterThanOrEqual(96);

      await alice.page.getByRole("button", { name: "View panorama.png" }).click();
      const viewer = alice.page.getByRole("dialog", { name: "panorama.png" });
      await viewer.waitFor();
      const full = await viewer.locator("img").evaluate((img: HTMLImageElement) => ({
        natural: img.naturalWidth,
        shown: img.getBoundingClientRect().height,
      }));
      expect(full).toEqual({ natural: 4000, shown: 300 });
      const download = alice.page.waitForEvent("download");
      await viewer.getByRole("button", { name: "Download" }).click();
      expect((await download).suggestedFilename()).toBe("panorama.png");
      await alice.page.keyboard.press("Escape");
      await eventually(async () => expect(await viewer.isVisible()).toBe(false));
      expect(alice.errors).toEqual([]);
    });
  }
});
