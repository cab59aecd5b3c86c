/**
 * Files in an encrypted group in the terminal (PTY): /upload in a "&group" buffer encrypts the
 * file and seals its descriptor for the members (a member's device decrypts the same bytes, the
 * server's copy is ciphertext), a member's file shows as a line and /download decrypts and
 * checks it; /group admins hands the group over, said as a line and listed by /group.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileTransfer } from "../../src/client-core/file-transfer.ts";
import { parseAttachment } from "../../src/crypto/index.ts";
import { createRoom, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupMember } from "./group-member.ts";
import { spawnLoggedIn, terminalSuite } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("files in a group in the interactive client", () => {
  const suite = terminalSuite();
  const { config, other } = suite;

  it("/upload encrypts a file for the group's members, and /download decrypts a member's", async () => {
    const alice = await register(suite.server.url, unique("al"));
    const start = unique("r");
    await createRoom(suite.server.url, alice.token, start);
    const bob = await groupMember(suite.server.url, other.path);
    const bobFiles = new FileTransfer({ server: () => suite.server.url, token: bob.account.token });
    const client = spawnLoggedIn(suite.server.url, alice, config.path);
    try {
      await client.waitFor(new RegExp(`#${start}`));
      client.type("\r");
      await client.waitFor(new RegExp(`You are in #${start}`));
      const group = unique("g");
      client.type(`/group create ${group} ${bob.account.user.name}\r`);
      await client.waitFor(new RegExp(`Created the group &${group}`));
      await until(
        () => bob.device.conn.joinedRooms().some((r) => r.kind === "group"),
        "bob to receive the group",
      );
      const room = bob.device.conn.joinedRooms().find((r) => r.kind === "group")?.id as number;

      const plan = new TextEncoder().encode("the group's plan: meet at noon. ".repeat(300));
      const planPath = join(other.path, "plan.txt");
      writeFileSync(planPath, plan);
      client.type(`/upload ${planPath}\r`);
      await until(
        () => bob.texts.some((t) => parseAttachment(t) !== undefined),
        "bob to open the file's descriptor",
      );
      const attachment = parseAttachment(bob.texts.find((t) => parseAttachment(t)) as string);
      if (!attachment) throw new Error("no attachment");
      expect(attachment).toMatchObject({ name: "plan.txt", type: "text/plain", size: plan.length });
      expect(await bobFiles.fetchShared({ kind: "dm", attachment })).toEqual(plan);
      const stored = await bobFiles.download(attachment.id);
      expect(Buffer.from(stored).includes(Buffer.from("meet at noon"))).toBe(false);
      await client.waitFor(/\[file\] plan\.txt \(9\.4 KB\) · \/download \S+ \(encrypted\)/);

      // Bob shares one back; alice's /download decrypts and checks it.
      const photo = new Uint8Array(1234).map((_, i) => (i * 7) & 0xff);
      const sealed = await bobFiles.uploadForDm(room, photo, {
        name: "photo.png",
        type: "image/png",
      });
      bob.groups.send(room, sealed.text);
      await client.waitFor(
        new RegExp(
          `photo\\.png \\(1\\.2 KB\\) · /download ${sealed.attachment.id} \\(encrypted\\)`,
        ),
      );
      const savedPath = join(other.path, "photo-saved.png");
      client.type(`/download ${sealed.attachment.id} ${savedPath}\r`);
      await client.waitFor(/Saved photo\.png \(1\.2 KB, decrypted and checked\)/);
      expect(new Uint8Array(readFileSync(savedPath))).toEqual(photo);

      // Handing the group over is a signed version too, shown as a line.
      client.type(`/group admins ${bob.account.user.name}\r`);
      await client.waitFor(
        new RegExp(`${bob.account.user.name} became admin; ${alice.user.name} is no longer admin`),
      );
      client.type("/group\r");
      await client.waitFor(new RegExp(`Members \\(2\\): .*${bob.account.user.name} \\(admin\\)`));
      expect((await suite.server.store.standing(room, alice.user.id))?.role).toBe("member");
    } finally {
      client.proc.kill();
      bob.close();
    }
  });
});
