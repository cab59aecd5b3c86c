/**
 * Files in encrypted groups (docs/e2ee.md 12, docs/protocol.md 4.6) over a real server, through
 * the client-core as both clients use it: a member encrypts a file, uploads the ciphertext and
 * seals its descriptor for every member's devices; members download and decrypt it; the server
 * keeps no byte of it in clear (database, WAL, blobs, logs); outsiders and former members are
 * refused with their codes; the upload limit and quotas hold as for any file. And the server's
 * owner rights over a group (rename, archive, delete) follow the signed chain's admins.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { FileTransfer, TransferError } from "../../src/client-core/file-transfer.ts";
import { type FileAttachment, parseAttachment } from "../../src/crypto/index.ts";
import { register } from "../support/client.ts";
import { startTestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupMember, groupSuite, joinedGroup, type Member, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const suite = groupSuite("group-files");

function transferOf(url: string, token: string): FileTransfer {
  return new FileTransfer({ server: () => url, token });
}

/** The attachments a member's device opened from the group's messages. */
function attachments(m: Member): FileAttachment[] {
  return m.texts.flatMap((t) => parseAttachment(t) ?? []);
}

/** Every file under `dir`, however deep. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Why a transfer was refused: its code. */
async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    if (err instanceof TransferError) return err.code;
    throw err;
  }
  throw new Error("the transfer was not refused");
}

describe("files in encrypted groups", () => {
  it("shares a file sealed for every member: members decrypt it, the server keeps only ciphertext, outsiders get ROOM_NOT_FOUND and a removed member NOT_MEMBER", async () => {
    const [alice, bob, carol] = [await suite.member(), await suite.member(), await suite.member()];
    const outsider = await register(suite.server.url);
    const room = (await alice.groups.create("files", [nameOf(bob), nameOf(carol)])).id;
    await joinedGroup(bob, room);
    await joinedGroup(carol, room);

    const secret = `GROUP-FILE-SECRET-${crypto.randomUUID()}`;
    const plain = new TextEncoder().encode(`${secret}\n`.repeat(400));
    const name = `plan-${crypto.randomUUID()}.txt`;
    const url = suite.server.url;
    const shared = await transferOf(url, alice.account.token).uploadForDm(room, plain, {
      name,
      type: "text/plain",
    });
    expect(shared.uploaded.name).toBeUndefined();
    expect(shared.uploaded.type).toBeUndefined();
    expect(shared.uploaded.size).toBe(plain.length + 16);
    alice.groups.send(room, shared.text);
    await until(() => attachments(bob).length === 1, "bob to open the descriptor");
    await until(() => attachments(carol).length === 1, "carol to open the descriptor");
    expect(attachments(bob)[0]).toEqual(shared.attachment);

    for (const m of [bob, carol]) {
      const got = await transferOf(url, m.account.token).fetchShared({
        kind: "dm",
        attachment: attachments(m)[0] as FileAttachment,
      });
      expect(Buffer.from(got).equals(Buffer.from(plain))).toBe(true);
    }

    // The server holds neither the bytes, nor the name, nor the key in clear.
    const needles = [secret, name, shared.attachment.key].map((s) => Buffer.from(s));
    const db = readdirSync(suite.server.dir)
      .filter((f) => f.startsWith("parley.db"))
      .map((f) => join(suite.server.dir, f));
    const blobs = filesUnder(join(suite.server.dir, "files"));
    expect(db.length).toBeGreaterThan(1); // the database and its WAL
    expect(blobs.length).toBeGreaterThan(0);
    for (const file of [...db, ...blobs]) {
      const bytes = readFileSync(file);
      for (const needle of needles) expect(bytes.includes(needle)).toBe(false);
    }
    const logs = suite.server.logs.join("\n");
    for (const s of [secret, name, shared.attachment.key]) expect(logs).not.toContain(s);

    // A file id in the clear is no way to share in a group, and a name on the upload is refused.
    await expect(
      alice.device.conn.request({ type: "send", room, cid: "f1", file: shared.uploaded.id }),
    ).rejects.toMatchObject({ code: "SEALED_ONLY" });
    const named = transferOf(url, alice.account.token).upload(room, plain, { name: "x.txt" });
    expect(await refusal(named)).toBe("INVALID");

    // To an outsider the group and its files do not exist.
    const theirs = transferOf(url, outsider.token);
    expect(await refusal(theirs.download(shared.uploaded.id))).toBe("ROOM_NOT_FOUND");
    expect(await refusal(theirs.upload(room, plain))).toBe("ROOM_NOT_FOUND");

    // Carol is removed (the server's "ok" comes once she is out): the file shared while she
    // was a member is no longer hers to fetch.
    await alice.groups.remove(room, [nameOf(carol)]);
    const carols = transferOf(url, carol.account.token);
    const refused = carols.fetchShared({ kind: "dm", attachment: shared.attachment });
    expect(await refusal(refused)).toBe("NOT_MEMBER");
    expect(await refusal(carols.upload(room, plain))).toBe("ROOM_NOT_FOUND");
    const bobs = await transferOf(url, bob.account.token).download(shared.uploaded.id);
    expect(bobs.length).toBe(plain.length + 16);
  });

  it("holds a group's uploads to the server's upload limit and the uploader's quota", async () => {
    const server = await startTestServer({
      rate: 10_000,
      burst: 10_000,
      maxUploadBytes: 4096,
      uploadBytesTotal: 6000,
    });
    const dirs = tempDir("parley-group-files-limits-");
    const members: Member[] = [];
    try {
      const alice = await groupMember(server.url, dirs.path);
      const bob = await groupMember(server.url, dirs.path);
      members.push(alice, bob);
      const room = (await alice.groups.create("limits", [nameOf(bob)])).id;
      const transfer = transferOf(server.url, alice.account.token);
      const meta = { name: "big.bin", type: "application/octet-stream" };
      // 4,081 bytes encrypt to 4,097: one past the limit.
      const over = transfer.uploadForDm(room, new Uint8Array(4081), meta);
      expect(await refusal(over)).toBe("FILE_TOO_LARGE");
      await transfer.uploadForDm(room, new Uint8Array(4000), meta);
      const past = transfer.uploadForDm(room, new Uint8Array(2500), meta);
      expect(await refusal(past)).toBe("QUOTA_EXCEEDED");
    } finally {
      for (const m of members) m.close();
      await server.close();
      dirs.remove();
    }
  });
});

describe("a group's server rights follow its signed chain", () => {
  it("refuses rename, archive and delete to a creator the chain demoted (NOT_ALLOWED), and gives them to the new admin", async () => {
    const [alice, bob] = [await suite.member(), await suite.member()];
    const room = (await alice.groups.create("handover", [nameOf(bob)])).id;
    await joinedGroup(bob, room);
    const standing = async () =>
      Object.fromEntries(
        [...(await suite.server.store.standings(room))].map(([id, s]) => [id, s.role]),
      );
    expect(await standing()).toEqual({
      [alice.account.user.id]: "owner",
      [bob.account.user.id]: "member",
    });
    // Bob may not rename it yet: he is no admin.
    await expect(
      bob.device.conn.request({ type: "rename_room", room, name: "bobs" }),
    ).rejects.toMatchObject({ code: "NOT_ALLOWED" });

    // Alice signs a version making bob the only admin; its "ok" comes once roles are set too.
    await alice.groups.setAdmins(room, [nameOf(bob)]);
    await until(
      () => bob.changes.some((c) => c.text.endsWith(`${nameOf(alice)} is no longer admin`)),
      "bob to see the handover",
    );
    expect(await standing()).toEqual({
      [alice.account.user.id]: "member",
      [bob.account.user.id]: "owner",
    });
    for (const frame of [
      { type: "rename_room", room, name: "alices" } as const,
      { type: "archive_room", room } as const,
      { type: "delete_room", room } as const,
    ]) {
      await expect(alice.device.conn.request(frame)).rejects.toMatchObject({
        code: "NOT_ALLOWED",
      });
    }
    expect((await suite.server.store.findRoom(room))?.name).toBe("handover");

    await bob.device.conn.request({ type: "rename_room", room, name: "bobs-crew" });
    expect((await suite.server.store.findRoom(room))?.name).toBe("bobs-crew");
    await bob.device.conn.request({ type: "archive_room", room });
    expect((await suite.server.store.findRoom(room))?.archivedAt).toBeDefined();
    await bob.device.conn.request({ type: "delete_room", room });
    expect(await suite.server.store.findRoom(room)).toBeUndefined();
  });
});
