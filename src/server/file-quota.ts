/**
 * What one user may upload: a number of uploads per minute, bytes per 24 hours and bytes kept in
 * all; and what the server may take: nothing once free disk falls below a watermark, so the
 * database never runs out of room because of files.
 *
 * Invariant: bytes being uploaded right now count against the quota (in flight), so uploads
 * running at once on this node cannot together pass it.
 */
import { statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Store } from "../../db/store.ts";
import { ParleyError } from "../protocol/index.ts";
import { KeyedLimiter } from "./rate-limit.ts";

const DAY_MS = 86_400_000;

export interface FileQuotaOptions {
  store: Store;
  now: () => number;
  bytesPerDay: number;
  bytesTotal: number;
  uploadsPerMinute: number;
  minFreeDiskBytes: number;
  /** Directories whose disks must keep the free space: the files' and the database's. */
  disks: readonly string[];
}

/** Free bytes on the disk holding `path` for an unprivileged writer; Infinity if unknown. */
async function freeBytes(path: string): Promise<number> {
  // The files directory is made on first upload: measure the nearest directory that exists.
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const s = await statfs(dir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      if (dirname(dir) === dir) return Number.POSITIVE_INFINITY;
    }
  }
}

export class FileQuota {
  private readonly uploads: KeyedLimiter;
  private readonly inFlight = new Map<number, number>();

  constructor(private readonly o: FileQuotaOptions) {
    this.uploads = new KeyedLimiter(o.uploadsPerMinute, o.uploadsPerMinute / 60);
  }

  /**
   * Admits an upload before a byte is read: the rate, the disk watermark, and the quotas with
   * the declared length (or nothing, when undeclared). Holds the declared bytes in flight until
   * release() is called, which the caller must do; `allowance` is the most bytes the upload may
   * then bring, so that nothing over the quota is ever written.
   */
  async admit(
    userId: number,
    declared: number | undefined,
  ): Promise<{ release: () => void; allowance: number }> {
    const now = this.o.now();
    if (!this.uploads.take(String(userId), now)) {
      const retryAfter = Math.max(1, this.uploads.retryAfter(String(userId), now));
      throw new ParleyError("RATE_LIMITED", "Too many uploads. Wait before sending more.", {
        retryAfter,
      });
    }
    await this.checkDisk();
    const reserve = declared ?? 0;
    const left = await this.check(userId, reserve);
    this.inFlight.set(userId, (this.inFlight.get(userId) ?? 0) + reserve);
    const release = () => {
      const held = (this.inFlight.get(userId) ?? 0) - reserve;
      if (held > 0) this.inFlight.set(userId, held);
      else this.inFlight.delete(userId);
    };
    return { release, allowance: declared ?? left };
  }

  /** Throws QUOTA_EXCEEDED unless `incoming` more bytes fit; else how many bytes are left. */
  async check(userId: number, incoming: number): Promise<number> {
    const now = this.o.now();
    const pending = this.inFlight.get(userId) ?? 0;
    const [today, total] = await Promise.all([
      this.o.store.uploadedBytes(userId, now - DAY_MS),
      this.o.store.uploadedBytes(userId, 0),
    ]);
    if (today + pending + incoming > this.o.bytesPerDay) {
      throw new ParleyError(
        "QUOTA_EXCEEDED",
        `You may upload at most ${this.o.bytesPerDay} bytes a day; ${Math.max(0, this.o.bytesPerDay - today - pending)} are left.`,
      );
    }
    if (total + pending + incoming > this.o.bytesTotal) {
      throw new ParleyError(
        "QUOTA_EXCEEDED",
        `You may keep at most ${this.o.bytesTotal} bytes of files; ${Math.max(0, this.o.bytesTotal - total - pending)} are left.`,
      );
    }
    return Math.min(this.o.bytesPerDay - today - pending, this.o.bytesTotal - total - pending);
  }

  async checkDisk(): Promise<void> {
    for (const dir of this.o.disks) {
      if ((await freeBytes(resolve(dir))) < this.o.minFreeDiskBytes) {
        throw new ParleyError("DISK_FULL");
      }
    }
  }

  prune(): void {
    this.uploads.prune(this.o.now());
  }
}
