/**
 * Files in the terminal client, through a PTY against a real server: /upload in a room and in a
 * DM (encrypted before it leaves), file lines on screen, and /download of both kinds, checked
 * byte for byte; the other side is the same connection layer a bot or the browser would use.
 */
import { describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import { safeFileName } from "../../src/client/file-commands.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { FileTransfer, type SharedFile } from "../../src/client-core/file-transfer.ts";
import { SecureDm } from "../../src/client-core/secure-dm.ts";
import { parseAttachment } from "../../src/crypto/index.ts";
import type { Message } from "../../src/protocol/index.ts";
import { createRoom, joinRoom, register, unique } from "../support/client.ts";
import { suiteDir, suiteServer } from "../support/server.ts";
import { until } from "./gated-clock.ts";
import { spawnLoggedIn } from "./pty.ts";

function bytesOf(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 13 + seed) & 0xff;
  return out;
}

describe("safe file names", () => {
  it("should keep ordinary names and defuse separators, dots and control characters", () => {
    expect(safeFileName("report 2026.pdf", "id")).toBe("report 2026.pdf");
    expect(safeFileName("../../etc/passwd", "id")).toBe("passwd");
    expect(safeFileName("..\\..\\boot.ini", "id")).toBe("boot.ini");
    expect(safeFileName(".bashrc", "id")).toBe("_bashrc");
    expect(safeFileName("a\u0007b\nc", "id")).toBe("a_b_c");
    expect(safeFileName("..", "id")).toBe("_");
    expect(safeFileName("", "fallback")).toBe("fallback");
  });
});

describe("files in the interactive client", () => {
  const server = suiteServer();
  const config = suiteDir("parley-config-");
  const bobDir = suiteDir("parley-bob-");
  const work = suiteDir("parley-files-");

  it("should /upload and /download in a room and, encrypted, in a DM", async () => {
    const alice = await register(server.url, unique("al"));
    const bob = await register(server.url, unique("bo"));
    const name = unique("r");
    const room = await createRoom(server.url, alice.token, name);
    await joinRoom(server.url, bob.token, room);

    const bobConn = new Connection({ server: server.url, token: bob.token });
    const bobFiles = new FileTransfer({ server: () => server.url, token: bob.token });
    const keys = deviceFiles(bobDir.path, server.url, bob.user.id);
    const bobDm = new SecureDm({
      conn: bobConn,
      identities: keys.identities,
      keyBook: keys.keyBook,
    });
    const roomSeen: Message[] = [];
    bobConn.on("message", (m) => roomSeen.push(m));
    const dmSeen: string[] = [];
    bobDm.on("message", (_m, c) => {
      if (c.kind === "text") dmSeen.push(c.text);
    });
    const client = spawnLoggedIn(server.url, alice, config.path);
    try {
      bobConn.start();
      expect(await bobDm.start()).toEqual({ ok: true });
      await bobConn.join(name, { from: "head" });
      await client.waitFor(new RegExp(`#${name}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${name}`));

      // Alice uploads into the room: bob gets a message that references the file.
      const report = bytesOf(150_000, 1);
      const reportPath = join(work.path, "report.bin");
      writeFileSync(reportPath, report);
      client.type(`/upload ${reportPath}\r`);
      await client.waitFor(/\[file\] report\.bin \(146\.5 KB\) · \/download [A-Za-z0-9_-]{22}/);
      await until(() => roomSeen.some((m) => m.file?.name === "report.bin"), "bob's file message");
      const shared = roomSeen.find((m) => m.file)?.file;
      expect(shared).toMatchObject({ name: "report.bin", size: 150_000 });
      expect(await bobFiles.fetchShared({ kind: "room", file: shared } as SharedFile)).toEqual(
        report,
      );

      // Bob shares one; alice downloads it by the id on her screen, into a directory.
      const photo = bytesOf(3000, 2);
      const up = await bobFiles.upload(room, photo, { name: "photo.png", type: "image/png" });
      bobConn.send(room, "holiday", { file: up.id });
      await client.waitFor(
        new RegExp(`holiday \\[file\\] photo\\.png \\(2\\.9 KB\\) · /download ${up.id}`),
      );
      const into = join(work.path, "downloads");
      mkdirSync(into);
      client.type(`/download ${up.id} ${into}\r`);
      await client.waitFor(/Saved photo\.png \(2\.9 KB\) to/);
      expect(new Uint8Array(readFileSync(join(into, "photo.png")))).toEqual(photo);
      // Never overwritten.
      client.type(`/download ${up.id} ${into}\r`);
      await client.waitFor(/already exists: give another DEST/);

      // In the DM the file is encrypted first: bob's device decrypts what the server kept.
      client.type(`/dm ${bob.user.name}\r`);
      await client.waitFor(/Private conversation with .*end-to-end encrypted/);
      const secret = new TextEncoder().encode("the launch codes are 0000 ".repeat(400));
      const secretPath = join(work.path, "codes.txt");
      writeFileSync(secretPath, secret);
      client.type(`/upload ${secretPath}\r`);
      await until(() => dmSeen.some((t) => parseAttachment(t) !== undefined), "bob's DM file");
      const attachment = parseAttachment(dmSeen.find((t) => parseAttachment(t)) as string);
      expect(attachment).toMatchObject({
        name: "codes.txt",
        type: "text/plain",
        size: secret.length,
      });
      if (!attachment) throw new Error("no attachment");
      expect(await bobFiles.fetchShared({ kind: "dm", attachment })).toEqual(secret);
      const blobDir = join(server.dir, "files", attachment.sha256.slice(0, 2));
      const stored = await bobFiles.download(attachment.id);
      expect(Buffer.from(stored).includes(Buffer.from("launch codes"))).toBe(false);
      // The server keeps ciphertext only: no blob anywhere holds the plaintext's hash.
      expect(existsSync(blobDir) && readdirSync(blobDir).includes(attachment.sha256)).toBe(false);
      await client.waitFor(/\[file\] codes\.txt \(10\.2 KB\) · \/download \S+ \(encrypted\)/);

      // Bob sends one back; alice's /download decrypts and checks it.
      const reply = bytesOf(777, 3);
      const dmRoom = bobConn.joinedRooms().find((r) => r.kind === "dm")?.id as number;
      const sealed = await bobFiles.uploadForDm(dmRoom, reply, {
        name: "answer.bin",
        type: "application/octet-stream",
      });
      bobDm.send(dmRoom, sealed.text);
      await client.waitFor(
        new RegExp(`answer\\.bin \\(777 B\\) · /download ${sealed.attachment.id}`),
      );
      const answerPath = join(work.path, "answer-saved.bin");
      client.type(`/download ${sealed.attachment.id} ${answerPath}\r`);
      await client.waitFor(/Saved answer\.bin \(777 B, decrypted and checked\)/);
      expect(new Uint8Array(readFileSync(answerPath))).toEqual(reply);

      client.type("/quit\r");
      expect(await client.proc.exited).toBe(0);
    } finally {
      client.proc.kill();
      bobDm.close();
      bobConn.close();
    }
  }, 90_000);
});
