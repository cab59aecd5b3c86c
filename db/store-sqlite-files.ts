/** The SQLite store's file records (file-store.ts); the bytes are the blob store's. */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { FileRecord, FileStore } from "./file-store.ts";

interface FileRow {
  id: string;
  room: number;
  uploader: number;
  sha256: string;
  size: number;
  name: string | null;
  type: string | null;
  createdAt: number;
}

function toFile(row: FileRow): FileRecord {
  const { name, type, ...rest } = row;
  return { ...rest, ...(name !== null ? { name } : {}), ...(type !== null ? { type } : {}) };
}

function prepare(db: Database) {
  const s = <R, P extends SQLQueryBindings[]>(sql: string): Statement<R, P> =>
    db.query<R, P>(sql) as Statement<R, P>;
  return {
    insertFile: s<
      never,
      [string, number, number, string, number, string | null, string | null, number]
    >(
      `INSERT INTO files (id, room_id, uploader_id, sha256, size, name, type, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    findFile: s<FileRow, [string]>(
      `SELECT id, room_id AS room, uploader_id AS uploader, sha256, size, name, type,
         created_at AS createdAt FROM files WHERE id = ?`,
    ),
    uploadedBytes: s<{ n: number }, [number, number]>(
      "SELECT coalesce(sum(size), 0) AS n FROM files WHERE uploader_id = ? AND created_at >= ?",
    ),
    unsharedFiles: s<FileRow, [number, number]>(
      `SELECT id, room_id AS room, uploader_id AS uploader, sha256, size, name, type,
         created_at AS createdAt FROM files f
       WHERE f.created_at < ? AND f.name IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM messages m WHERE m.room_id = f.room_id AND m.file IS NOT NULL
           AND json_extract(m.file, '$.id') = f.id)
       ORDER BY f.created_at LIMIT ?`,
    ),
    deleteFile: s<{ sha256: string }, [string]>("DELETE FROM files WHERE id = ? RETURNING sha256"),
    shaInUse: s<{ one: number }, [string]>("SELECT 1 AS one FROM files WHERE sha256 = ? LIMIT 1"),
  };
}

export class SqliteFiles implements FileStore {
  private readonly q: ReturnType<typeof prepare>;

  constructor(private readonly db: Database) {
    this.q = prepare(db);
  }

  async putFile(f: FileRecord): Promise<"ok" | "taken"> {
    const { changes } = this.q.insertFile.run(
      f.id,
      f.room,
      f.uploader,
      f.sha256,
      f.size,
      f.name ?? null,
      f.type ?? null,
      f.createdAt,
    );
    return changes > 0 ? "ok" : "taken";
  }

  async findFile(id: string): Promise<FileRecord | undefined> {
    const row = this.q.findFile.get(id);
    return row ? toFile(row) : undefined;
  }

  async uploadedBytes(userId: number, since: number) {
    return this.q.uploadedBytes.get(userId, since)?.n ?? 0;
  }

  async unsharedFiles(before: number, limit: number) {
    return this.q.unsharedFiles.all(before, limit).map(toFile);
  }

  async deleteFile(id: string) {
    return this.db.transaction(() => {
      const row = this.q.deleteFile.get(id);
      if (!row) return { deleted: false, blobUnused: false };
      return { deleted: true, blobUnused: !this.q.shaInUse.get(row.sha256) };
    })();
  }
}
