/**
 * File bytes on disk, content-addressed: each blob lives at DIR/ab/abcdef… (its hex SHA-256), so
 * the same bytes uploaded twice are stored once. A blob is written to DIR/tmp first, flushed to
 * disk, then renamed into place: a reader never sees half a file, and a crash leaves only a
 * temporary file behind.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

export type BlobWrite =
  | { ok: true; sha256: string; size: number }
  /** More than maxBytes arrived: nothing was kept, and the rest of the stream was not read. */
  | { ok: false; reason: "too-large" };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A temporary file older than this is what a crash or a cut upload left behind. */
const PARTIAL_MAX_AGE_MS = 60 * 60_000;

export class FileBlobs {
  constructor(readonly dir: string) {}

  /** Deletes a blob unless it was written after `notAfter` (an upload may have reused it). */
  async remove(sha256: string, notAfter: number): Promise<boolean> {
    const path = this.path(sha256);
    const s = await stat(path).catch(() => undefined);
    if (!s || s.mtimeMs > notAfter) return false;
    await unlink(path).catch(() => {});
    return true;
  }

  /** Deletes temporary files older than an hour: uploads cut off or killed half way. */
  async removePartials(now: number): Promise<number> {
    const tmpDir = join(this.dir, "tmp");
    const names = await readdir(tmpDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith(".part")) continue;
      const path = join(tmpDir, name);
      const s = await stat(path).catch(() => undefined);
      if (s && now - s.mtimeMs > PARTIAL_MAX_AGE_MS) {
        await unlink(path).catch(() => {});
        removed++;
      }
    }
    return removed;
  }

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
      // Renamed even over an existing copy (the same bytes): a fresh blob's time is now, so
      // the sweep of unshared files never deletes a blob an upload has just reused.
      await mkdir(dirname(final), { recursive: true });
      await rename(tmp, final);
      kept = true;
      return { ok: true, sha256, size };
    } finally {
      await file.close().catch(() => {});
      if (!kept) await unlink(tmp).catch(() => {});
    }
  }
}
