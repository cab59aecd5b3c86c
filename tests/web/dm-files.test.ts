import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { attachmentText, parseAttachment } from "../../src/crypto/index.ts";
import type { Message } from "../../src/protocol/index.ts";
import { dmFileOf } from "../../src/web/dm-file.ts";
import { noticeFor } from "../../src/web/notifications.ts";
import { register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  eventually,
  openPage,
  sendInPage,
  shotDir,
} from "./browser.ts";
import { browserUserWritingTo, suiteTerminal } from "./dm-peer.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

/** A 2×2 PNG: a real image the browser must decode. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAAMIM/4EAAB/uBfsL2WiLAAAAAElFTkSuQmCC",
  "base64",
);

/** Bytes no text encoding would keep intact, with a marker to look for in stored files. */
function secretBytes(n: number, marker: string): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = i < 256 ? i : x & 0xff;
  }
  out.write(marker, 300, "utf8");
  return out;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("a DM file's notification", () => {
  it("says the sender shared a file, and nothing of the descriptor", () => {
    const text = attachmentText({
      id: "A".repeat(22),
      name: "secret plans.pdf",
      type: "application/pdf",
      size: 1234,
      sha256: "a".repeat(64),
      key: "k".repeat(43),
      iv: "i".repeat(16),
    });
    const file = dmFileOf(text);
    expect(file?.name).toBe("secret plans.pdf");
    const bob = { id: 2, name: "bob" };
    const m: Message = { room: 7, seq: 3, ts: 0, from: bob, cid: "c", body: "", file };
    const notice = noticeFor(m, {
      me: { id: 1, name: "alice" },
      live: true,
      isDm: true,
      label: "bob",
      hidden: true,
      enabled: true,
      now: 100_000,
      lastShown: undefined,
    });
    expect(notice).toEqual({ title: "bob", body: "shared a file with you", tag: "parley-room-7" });
    expect(dmFileOf("an ordinary message")).toBeUndefined();
  });
});

describe.skipIf(gate.skip)("files in end-to-end encrypted DMs in the browser", () => {
  const web = browserSuite("dm-files");

  async function page(): Promise<{ page: Page; errors: string[] }> {
    const c = await web.context({
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    return openPage(c, web.server.url);
  }

  it("shares a file from the browser in a DM: the terminal decrypts the same bytes and the server stores only ciphertext", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    const room = await browserUserWritingTo(alice.page, unique("alice"), bobAccount.user.name);

    const marker = "PLAINTEXT-MARKER-d7c1";
    const bytes = secretBytes(50_000, marker);
    const attach = alice.page.getByRole("button", { name: "Share a file" });
    expect(await attach.isDisabled()).toBe(false);
    await alice.page.locator(".file-input").setInputFiles({
      name: "plans 2027.bin",
      mimeType: "application/octet-stream",
      buffer: bytes,
    });

    // bob's terminal code receives a descriptor, downloads, decrypts and checks the file.
    await eventually(async () => expect(bob.texts().length).toBe(1));
    const attachment = parseAttachment(bob.texts()[0] ?? "");
    if (!attachment) throw new Error("bob did not receive an attachment descriptor");
    expect(attachment.name).toBe("plans 2027.bin");
    expect(attachment.size).toBe(bytes.length);
    expect(bob.got[0]?.room).toBe(room);
    const got = await bob.transfer.fetchShared({ kind: "dm", attachment });
    expect(Buffer.from(got).equals(bytes)).toBe(true);

    // alice sees her own file as a card once stored, never the descriptor.
    const card = alice.page.locator(".items:not(.pending-items) .msg .file-card", {
      hasText: "plans 2027.bin",
    });
    await card.waitFor();
    await eventually(async () =>
      expect(await alice.page.locator(".pending-items .msg").count()).toBe(0),
    );
    const shown = (await alice.page.locator(".messages").textContent()) ?? "";
    expect(shown).not.toContain("parley.file");
    expect(shown).not.toContain(attachment.key);

    // What the server stored: 16 bytes more than the file, and not the file.
    const stored = filesUnder(join(web.dir.path, "files"));
    expect(stored.length).toBeGreaterThan(0);
    const sizes = stored.map((f) => readFileSync(f).length);
    expect(sizes).toContain(bytes.length + 16);
    for (const f of stored) {
      const raw = readFileSync(f);
      expect(raw.includes(Buffer.from(marker))).toBe(false);
      expect(raw.includes(bytes.subarray(0, 4096))).toBe(false);
    }
    expect(alice.errors).toEqual([]);
  });

  it("shares files dropped onto a DM", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    await browserUserWritingTo(alice.page, unique("alice"), bobAccount.user.name);
    const dropped = await alice.page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["dropped in a DM\n"], "note.txt", { type: "text/plain" }));
      return dt;
    });
    const chat = alice.page.getByRole("main", { name: "Conversation" });
    await chat.dispatchEvent("dragenter", { dataTransfer: dropped });
    await chat.dispatchEvent("drop", { dataTransfer: dropped });
    await eventually(async () => expect(bob.texts().length).toBe(1));
    const attachment = parseAttachment(bob.texts()[0] ?? "");
    if (!attachment) throw new Error("bob did not receive an attachment descriptor");
    expect(attachment).toMatchObject({ name: "note.txt", type: "text/plain" });
    const got = await bob.transfer.fetchShared({ kind: "dm", attachment });
    expect(new TextDecoder().decode(got)).toBe("dropped in a DM\n");
    expect(alice.errors).toEqual([]);
  });

  it("holds a DM file sent to a changed key, shown as waiting, until the new keys are accepted", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    await browserUserWritingTo(alice.page, unique("alice"), bobAccount.user.name);
    await sendInPage(alice.page, "before the change");
    await eventually(async () => expect(bob.texts()).toEqual(["before the change"]));

    // bob installs the client again and resets his account key there, so alice's next DM
    // waits for her acceptance.
    const bob2 = await suiteTerminal(web, bobAccount);
    await bob2.dm.devices?.resetAccount();
    const alert = alice.page.getByRole("alert").filter({ hasText: "encryption keys changed" });
    await alert.waitFor();
    await alice.page.locator(".file-input").setInputFiles({
      name: "held.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("waited for the keys\n"),
    });
    const held = alice.page.locator(".pending-items .msg", { hasText: "held.txt" });
    await held.locator(".status.held").waitFor();
    expect(await held.locator(".file-card").count()).toBe(1);
    expect(bob.texts()).toEqual(["before the change"]);

    await alert.getByRole("button", { name: "Accept new keys" }).click();
    for (const t of [bob2]) {
      await eventually(async () => expect(t.texts().some((x) => parseAttachment(x))).toBe(true));
      const attachment = parseAttachment(t.texts().find((x) => parseAttachment(x)) ?? "");
      if (!attachment) throw new Error("no attachment descriptor");
      const got = await t.transfer.fetchShared({ kind: "dm", attachment });
      expect(new TextDecoder().decode(got)).toBe("waited for the keys\n");
    }
    await eventually(async () =>
      expect(await alice.page.locator(".pending-items .msg").count()).toBe(0),
    );
    expect(alice.errors).toEqual([]);
  });

  it("shows a terminal's DM file as a card and an inline image, downloads the original bytes, and shows an altered file as such", async () => {
    const bobAccount = await register(web.server.url, unique("bob"));
    const bob = await suiteTerminal(web, bobAccount);
    const alice = await page();
    const room = await browserUserWritingTo(alice.page, unique("alice"), bobAccount.user.name);

    const bytes = secretBytes(30_000, "from-the-terminal");
    const doc = await bob.transfer.uploadForDm(room, new Uint8Array(bytes), {
      name: "terminal report.bin",
      type: "application/octet-stream",
    });
    bob.dm.send(room, doc.text);
    const image = await bob.transfer.uploadForDm(room, new Uint8Array(PNG), {
      name: "dot.png",
      type: "image/png",
    });
    bob.dm.send(room, image.text);
    // A descriptor whose digest is not the file's: decrypts, but is not what was described.
    const altered = await bob.transfer.uploadForDm(room, new Uint8Array(bytes), {
      name: "altered.bin",
      type: "application/octet-stream",
    });
    const { t: _t, v: _v, ...described } = altered.attachment;
    bob.dm.send(room, attachmentText({ ...described, sha256: "0".repeat(64) }));

    const card = alice.page.locator(".items .msg .file-card", { hasText: "terminal report.bin" });
    await card.waitFor();
    expect(await card.locator(".file-size").textContent()).toBe("29.3 KB");
    const img = alice.page.locator(".items .msg .file-preview img.file-image");
    await eventually(async () => {
      const shown = await img.evaluate((el: HTMLImageElement) => ({
        src: el.src,
        width: el.naturalWidth,
      }));
      expect(shown.src.startsWith("blob:")).toBe(true);
      expect(shown.width).toBe(2);
    });
    const text = (await alice.page.locator(".messages").textContent()) ?? "";
    expect(text).not.toContain("parley.file");
    expect(text).not.toContain(doc.attachment.key);

    const [download] = await Promise.all([
      alice.page.waitForEvent("download"),
      card.getByRole("button", { name: "Download terminal report.bin" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("terminal report.bin");
    expect(readFileSync(await download.path()).equals(bytes)).toBe(true);

    // The altered one: a warning with the code, and no download starts.
    const bad = alice.page.locator(".items .msg .file-card", { hasText: "altered.bin" });
    let downloads = 0;
    alice.page.on("download", () => downloads++);
    await bad.getByRole("button", { name: "Download altered.bin" }).click();
    await eventually(async () =>
      expect(await bad.locator(".file-status").textContent()).toContain(
        "⚠ file altered: The file decrypted, but it is not the file the sender described",
      ),
    );
    expect(downloads).toBe(0);
    await alice.page.screenshot({ path: join(shotDir(), "dm-files-alice.png") });
    expect(alice.errors).toEqual([]);
  });
});
