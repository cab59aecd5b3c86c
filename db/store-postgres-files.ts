/** The PostgreSQL store's file records (file-store.ts); the bytes are the blob store's. */
import type { FileRecord, FileStore } from "./file-store.ts";
import type { Run } from "./store-postgres-pool.ts";
import type { Int } from "./store-postgres-rows.ts";

interface FileRow {
  id: string;
  room_id: Int;
  uploader_id: Int;
  sha256: string;
  size: Int;
  name: string | null;
  type: string | null;
  created_at: Int;
}

function toFileRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    room: Number(row.room_id),
    uploader: Number(row.uploader_id),
    sha256: row.sha256,
    size: Number(row.size),
    ...(row.name !== null ? { name: row.name } : {}),
    ...(row.type !== null ? { type: row.type } : {}),
    createdAt: Number(row.created_at),
  };
}

export class PostgresFiles implements FileStore {
  constructor(private readonly run: Run) {}

  async putFile(f: FileRecord): Promise<"ok" | "taken"> {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO files (id, room_id, uploader_id, sha256, size, name, type, created_at)
        VALUES (${f.id}, ${f.room}, ${f.uploader}, ${f.sha256}, ${f.size}, ${f.name ?? null},
          ${f.type ?? null}, ${f.createdAt})
        ON CONFLICT (id) DO NOTHING`,
    );
    return res.count > 0 ? "ok" : "taken";
  }

  async findFile(id: string): Promise<FileRecord | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`
        SELECT id, room_id, uploader_id, sha256, size, name, type, created_at FROM files
        WHERE id = ${id}`,
    );
    return row ? toFileRecord(row) : undefined;
  }

  async uploadedBytes(userId: number, since: number): Promise<number> {
    const [row] = await this.run(
      ({ sql }) => sql`
        SELECT coalesce(sum(size), 0)::bigint AS n FROM files
        WHERE uploader_id = ${userId} AND created_at >= ${since}`,
    );
    return Number(row?.n ?? 0);
  }

  async unsharedFiles(before: number, limit: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT id, room_id, uploader_id, sha256, size, name, type, created_at FROM files f
        WHERE f.created_at < ${before} AND f.name IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM messages m WHERE m.room_id = f.room_id AND m.file IS NOT NULL
            AND (m.file::jsonb ->> 'id') = f.id)
        ORDER BY f.created_at LIMIT ${limit}`,
    );
    return (rows as FileRow[]).map(toFileRecord);
  }

  async deleteFile(id: string) {
    return this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const [row] = await tx`DELETE FROM files WHERE id = ${id} RETURNING sha256`;
        if (!row) return { deleted: false, blobUnused: false };
        const [used] = await tx`SELECT 1 FROM files WHERE sha256 = ${row.sha256} LIMIT 1`;
        return { deleted: true, blobUnused: !used };
      }),
    );
  }
}
