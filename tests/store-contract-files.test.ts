/**
 * The store contract, its part for files (db/file-store.ts): file records, upload quotas and the
 * sweep of unshared files. Each case runs against SQLite and PostgreSQL
 * (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { FileRecord, Store } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, sent, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("files", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user, room, req } = c;

  describe("files", () => {
    function file(roomId: number, uploader: number, id: string, extra: Partial<FileRecord> = {}) {
      return {
        id,
        room: roomId,
        uploader,
        sha256: "ab".repeat(32),
        size: 1234,
        name: "Résumé “final”.pdf",
        type: "application/pdf",
        createdAt: T0,
        ...extra,
      } satisfies FileRecord;
    }

    it("records a file once per id and finds it again exactly", async () => {
      const a = await user();
      const r = await room(a);
      const id = fresh("f").padEnd(22, "x").slice(0, 22);
      const record = file(r.id, a.id, id);
      expect(await store.putFile(record)).toBe("ok");
      expect(await store.putFile({ ...record, size: 1 })).toBe("taken");
      expect(await store.findFile(id)).toEqual(record);
      expect(await store.findFile("nope")).toBeUndefined();
    });

    it("keeps a DM file without a name or type: absent, not empty", async () => {
      const a = await user();
      const b2 = await user();
      const dm = await store.openDm(a.id, b2.id, T0);
      const id = fresh("d").padEnd(22, "y").slice(0, 22);
      const { name: _n, type: _t, ...bare } = file(dm.id, a.id, id, { size: 0 });
      expect(await store.putFile(bare)).toBe("ok");
      const found = await store.findFile(id);
      expect(found).toEqual(bare);
      expect(found && ("name" in found || "type" in found)).toBe(false);
    });

    it("stores a message's file with it, in history and on a duplicate too", async () => {
      const a = await user();
      const r = await room(a);
      const shared = { id: "F".repeat(22), name: "cat.png", size: 42, type: "image/png" };
      const [first, plain] = await store.append([
        { ...req(r.id, a, "file1", ""), file: shared },
        req(r.id, a, "text1"),
      ]);
      expect(sent(first)).toMatchObject({ body: "", file: shared });
      expect("file" in sent(plain)).toBe(false);
      const history = await store.messagesAfter(r.id, 0, 10);
      expect(history).toEqual([sent(first), sent(plain)]);
      expect(await store.messagesBefore(r.id, 3, 10)).toEqual(history);
      const [again] = await store.append([{ ...req(r.id, a, "file1", ""), file: shared }]);
      expect(again).toEqual({ ok: true, duplicate: true, message: sent(first) });
    });
  });

  describe("quotas and the sweep (migration 004)", () => {
    const fileId = (prefix: string) => fresh(prefix).padEnd(22, "z").slice(0, 22);

    it("sums a user's uploads since a time, and finds and deletes files no message shares", async () => {
      const a = await user();
      const r = await room(a);
      const sha = "cd".repeat(32);
      const base = { room: r.id, uploader: a.id, sha256: sha, name: "a.txt", type: "text/plain" };
      const kept = { ...base, id: fileId("kept"), size: 10, createdAt: T0 };
      const lonely = { ...base, id: fileId("lone"), size: 20, createdAt: T0 + 1 };
      const recent = { ...base, id: fileId("rec"), size: 40, createdAt: T0 + 500 };
      for (const f of [kept, lonely, recent]) expect(await store.putFile(f)).toBe("ok");
      expect(await store.uploadedBytes(a.id, 0)).toBe(70);
      expect(await store.uploadedBytes(a.id, T0 + 1)).toBe(60);
      await store.append([
        {
          ...req(r.id, a, fresh("share"), ""),
          file: { id: kept.id, name: "a.txt", size: 10, type: "text/plain" },
        },
      ]);
      const unshared = (await store.unsharedFiles(T0 + 100, 1000)).filter((f) => f.room === r.id);
      expect(unshared.map((f) => f.id)).toEqual([lonely.id]);
      expect(await store.deleteFile(lonely.id)).toEqual({ deleted: true, blobUnused: false });
      expect(await store.deleteFile(lonely.id)).toEqual({ deleted: false, blobUnused: false });
      await store.deleteFile(recent.id);
      expect(await store.deleteFile(kept.id)).toEqual({ deleted: true, blobUnused: true });
    });
  });
});
