/**
 * File bytes on disk, content-addressed: each blob lives at DIR/ab/abcdef… (its hex SHA-256), so
 * the same bytes uploaded twice are stored once. A blob is written to DIR/tmp first, flushed to
 * disk, then renamed into place: a reader never sees half a file, and a crash leaves only a
 * temporary file behind.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

export type BlobWrite =
  | { ok: true; sha256: string; size: number }
  /** More than maxBytes arrived: nothing was kept, and the rest of the stream was not read. */
  | { ok: false; reason: "too-large" };

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class FileBlobs {
  constructor(readonly dir: string) {}

  /** Where the blob with this hash lives (whether or not it exists). */
  path(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.path(sha256)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /**
   * Streams the bytes to disk, hashing and counting as they come, so memory stays at one chunk
   * whatever the size. Rejects if the stream fails (the client went away); nothing is kept then.
   */
  async write(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<BlobWrite> {
    const tmpDir = join(this.dir, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${randomBytes(12).toString("hex")}.part`);
    const file = await open(tmp, "wx", 0o600);
    const hasher = new Bun.CryptoHasher("sha256");
    let size = 0;
    let kept = false;
    try {
      for await (const chunk of stream) {
        size += chunk.byteLength;
        if (size > maxBytes) return { ok: false, reason: "too-large" };
        hasher.update(chunk);
        await file.write(chunk);
      }
      await file.datasync();
      await file.close();
      const sha256 = hasher.digest("hex");
      const final = this.path(sha256);
      if (!(await this.has(sha256))) {
        await mkdir(dirname(final), { recursive: true });
        await rename(tmp, final);
        kept = true;
      }
      return { ok: true, sha256, size };
    } finally {
      await file.close().catch(() => {});
      if (!kept) await unlink(tmp).catch(() => {});
    }
  }
}
