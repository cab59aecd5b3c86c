/**
 * Files in encrypted groups in the browser (Chromium), as in DMs: the attach button and a drop
 * encrypt the file, upload only ciphertext and seal its descriptor for the members (a member's
 * device of the shared client core decrypts the same bytes); a member's file shows as a card
 * and an inline image, never as its descriptor, and downloads as the original bytes.
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { FileTransfer } from "../../src/client-core/file-transfer.ts";
import { parseAttachment } from "../../src/crypto/index.ts";
import { groupMember, type Member } from "../client/group-member.ts";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openPage, registerInPage } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

/** A 2×2 PNG: a real image the browser must decode. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAAMIM/4EAAB/uBfsL2WiLAAAAAElFTkSuQmCC",
  "base64",
);

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe.skipIf(gate.skip)("files in encrypted groups in the browser", () => {
  beforeAll(() => {
    if (gate.missing) throw new Error("chromium is required but /usr/bin/chromium is missing");
  });
  const web = browserSuite("group-files");

  /** Bob: a member device of the shared client core, with his own file transfers. */
  async function bobsDevice(): Promise<{ bob: Member; transfer: FileTransfer }> {
    const bob = await groupMember(web.server.url, join(web.dir.path, "homes"));
    web.cleanups.push(bob.close);
    const transfer = new FileTransfer({ server: () => web.server.url, token: bob.account.token });
    return { bob, transfer };
  }

  /** Alice in the browser, in a new group `&name` with bob; the group's room id. */
  async function aliceWithBob(
    bob: Member,
  ): Promise<{ page: Page; errors: string[]; room: number }> {
    const context = await web.context({
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    const { page, errors } = await openPage(context, web.server.url);
    await registerInPage(page, unique("alice"));
    const name = unique("g");
    await page.getByRole("button", { name: "New group" }).click();
    await page.getByLabel("Group name").fill(name);
    await page.getByRole("textbox", { name: "Members" }).fill(bob.account.user.name);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: `&${name}` }).waitFor();
    await eventually(async () =>
      expect(bob.device.conn.joinedRooms().some((r) => r.kind === "group")).toBe(true),
    );
    const room = bob.device.conn.joinedRooms().find((r) => r.kind === "group")?.id as number;
    return { page, errors, room };
  }

  const attachments = (m: Member) => m.texts.flatMap((t) => parseAttachment(t) ?? []);

  it("shares a picked and a dropped file in a group: the member decrypts the same bytes, the server stores only ciphertext", async () => {
    const { bob, transfer } = await bobsDevice();
    const alice = await aliceWithBob(bob);

    const marker = `GROUP-PLAINTEXT-${crypto.randomUUID()}`;
    const bytes = Buffer.concat([Buffer.from(marker), Buffer.alloc(40_000, 7)]);
    const attach = alice.page.getByRole("button", { name: "Share a file" });
    expect(await attach.isDisabled()).toBe(false);
    await alice.page.locator(".file-input").setInputFiles({
      name: "group plans.bin",
      mimeType: "application/octet-stream",
      buffer: bytes,
    });
    await eventually(async () => expect(attachments(bob).length).toBe(1));
    const picked = attachments(bob)[0];
    if (!picked) throw new Error("bob did not receive an attachment descriptor");
    expect(picked).toMatchObject({ name: "group plans.bin", size: bytes.length });
    const got = await transfer.fetchShared({ kind: "dm", attachment: picked });
    expect(Buffer.from(got).equals(bytes)).toBe(true);

    // Alice sees her own file as a card once stored, never the descriptor.
    const card = alice.page.locator(".items:not(.pending-items) .msg .file-card", {
      hasText: "group plans.bin",
    });
    await card.waitFor();
    const shown = (await alice.page.locator(".messages").textContent()) ?? "";
    expect(shown).not.toContain("parley.file");
    expect(shown).not.toContain(picked.key);

    // A file dropped onto the group goes the same way.
    const dropped = await alice.page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["dropped in a group\n"], "note.txt", { type: "text/plain" }));
      return dt;
    });
    const chat = alice.page.getByRole("main", { name: "Conversation" });
    await chat.dispatchEvent("dragenter", { dataTransfer: dropped });
    await chat.dispatchEvent("drop", { dataTransfer: dropped });
    await eventually(async () => expect(attachments(bob).length).toBe(2));
    const note = attachments(bob)[1];
    if (!note) throw new Error("no descriptor for the dropped file");
    expect(note).toMatchObject({ name: "note.txt", type: "text/plain" });
    const text = await transfer.fetchShared({ kind: "dm", attachment: note });
    expect(new TextDecoder().decode(text)).toBe("dropped in a group\n");

    // What the server stored: the ciphertext (16 bytes more), never the file.
    const stored = filesUnder(join(web.dir.path, "files"));
    expect(stored.map((f) => readFileSync(f).length)).toContain(bytes.length + 16);
    for (const f of stored) {
      const raw = readFileSync(f);
      expect(raw.includes(Buffer.from(marker))).toBe(false);
      expect(raw.includes(Buffer.from("dropped in a group"))).toBe(false);
    }
    expect(alice.errors).toEqual([]);
  });

  it("shows a member's group file as a card and an image, and downloads the original bytes", async () => {
    const { bob, transfer } = await bobsDevice();
    const alice = await aliceWithBob(bob);
    const bytes = Buffer.alloc(30_000, 0x5a);
    const doc = await transfer.uploadForDm(alice.room, new Uint8Array(bytes), {
      name: "member report.bin",
      type: "application/octet-stream",
    });
    bob.groups.send(alice.room, doc.text);
    const image = await transfer.uploadForDm(alice.room, new Uint8Array(PNG), {
      name: "dot.png",
      type: "image/png",
    });
    bob.groups.send(alice.room, image.text);

    const card = alice.page.locator(".items .msg .file-card", { hasText: "member report.bin" });
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
      card.getByRole("button", { name: "Download member report.bin" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("member report.bin");
    expect(readFileSync(await download.path()).equals(bytes)).toBe(true);
    expect(alice.errors).toEqual([]);
  });
});
