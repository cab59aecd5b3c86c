/**
 * File sharing: uploads into a room or DM, and downloads for its members only. Bytes go to the
 * content-addressed FileBlobs, metadata to the store. A file in a DM or an encrypted group arrives
 * already encrypted by the client, so there the server keeps no name and no type: only the
 * ciphertext and its size. A group's file is for its current members, as its messages are.
 */
import { randomBytes } from "node:crypto";
import type { FileRecord, RoomRecord, Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import {
  FILE_NAME_MAX,
  type FileView,
  INLINE_IMAGE_TYPES,
  ParleyError,
  type UserRef,
} from "../protocol/index.ts";
import type { Access } from "./access.ts";
import { FileBlobs } from "./file-blobs.ts";
import type { FileQuota } from "./file-quota.ts";
import { wasGroupMember } from "./groups.ts";

export interface FilesOptions {
  store: Store;
  /** Membership of the file's room, checked as every declared requirement is (access.ts). */
  access: Access;
  /** Where blobs are kept (created on first upload). */
  dir: string;
  /** @default 26214400 (25 MiB) */
  maxBytes?: number;
  log: Logger;
  now: () => number;
  /** Per-user quotas, upload rate and the disk watermark; none when absent (tools, tests). */
  quota?: FileQuota | undefined;
  /** Hours after which a room file no message shares is deleted. @default 24 */
  unsharedFileHours?: number;
}

export interface UploadMeta {
  /** The file's name (rooms: required; DMs and groups: must be absent). */
  name?: string | undefined;
  /** The Content-Type sent with the bytes (ignored for DMs and groups). */
  type?: string | undefined;
  /** The declared Content-Length, when there is one: refused before reading if over the limit. */
  length?: number | undefined;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
const OCTET_STREAM = "application/octet-stream";
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
// Control characters and path separators: a name is shown and offered as a file name to save.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const BAD_NAME = /[\u0000-\u001f\u007f/\\]/;
/** Every download: never run as a page, never sniffed into something executable. */
const DOWNLOAD_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; sandbox",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "private, max-age=86400",
} as const;

/** The media type of a Content-Type header, lower case, or octet-stream if it is not one. */
export function mediaType(header: string | undefined): string {
  const type = (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return MIME.test(type) ? type : OCTET_STREAM;
}

function checkName(name: string | undefined): string {
  if (name === undefined || name.trim() === "") {
    throw new ParleyError("INVALID", "name: give the file's name, as ?name=");
  }
  if (name.length > FILE_NAME_MAX || !name.isWellFormed() || BAD_NAME.test(name)) {
    throw new ParleyError(
      "INVALID",
      `name: at most ${FILE_NAME_MAX} characters of valid text, without control characters or slashes`,
    );
  }
  return name;
}

/** RFC 6266: an ASCII fallback for old agents, and the exact name in UTF-8 for the rest. */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function fileView(f: FileRecord): FileView {
  const view: FileView = { id: f.id, room: f.room, size: f.size, sha256: f.sha256 };
  if (f.name !== undefined) view.name = f.name;
  if (f.type !== undefined) view.type = f.type;
  return view;
}

export class Files {
  readonly blobs: FileBlobs;
  readonly maxBytes: number;

  constructor(private readonly o: FilesOptions) {
    this.blobs = new FileBlobs(o.dir);
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  }

  /** The room an upload goes to; its route declared membership (route-requirement.ts). */
  private async roomOf(roomId: number): Promise<RoomRecord> {
    const room = await this.o.store.findRoom(roomId);
    if (!room) throw new ParleyError("ROOM_NOT_FOUND");
    return room;
  }

  private tooLarge(): ParleyError {
    return new ParleyError("FILE_TOO_LARGE", `Files are at most ${this.maxBytes} bytes here.`);
  }

  /**
   * Checks everything it can before reading a byte, then streams the body to disk. The caller
   * has checked that the user is in the room (the route's declared requirement).
   */
  async upload(
    user: UserRef,
    roomId: number,
    body: ReadableStream<Uint8Array> | null,
    meta: UploadMeta,
  ): Promise<FileRecord> {
    const room = await this.roomOf(roomId);
    // Sealed conversations: the client encrypted the bytes and keeps name and type in the message.
    const sealed = room.kind === "dm" || room.kind === "group";
    if (sealed && meta.name !== undefined) {
      throw new ParleyError(
        "INVALID",
        "name: files in DMs and groups are encrypted by the client, which keeps the name inside the message; send none",
      );
    }
    const name = sealed ? undefined : checkName(meta.name);
    if (meta.length !== undefined && meta.length > this.maxBytes) throw this.tooLarge();
    const { release, allowance } = this.o.quota
      ? await this.o.quota.admit(user.id, meta.length)
      : { release: () => {}, allowance: Number.POSITIVE_INFINITY };
    // A body longer than it declared, or than the quota leaves, is cut off before it is kept.
    const limit = Math.min(this.maxBytes, allowance);
    let written: Awaited<ReturnType<FileBlobs["write"]>>;
    try {
      written = await this.blobs.write(body ?? new Blob([]).stream(), limit);
      if (!written.ok) {
        throw limit < this.maxBytes
          ? new ParleyError("QUOTA_EXCEEDED", "That upload would pass your file quota.")
          : this.tooLarge();
      }
    } catch (err) {
      release();
      throw err;
    }
    const record: FileRecord = {
      id: "",
      room: roomId,
      uploader: user.id,
      sha256: written.sha256,
      size: written.size,
      ...(sealed ? {} : { name, type: mediaType(meta.type) }),
      createdAt: this.o.now(),
    };
    // 128 random bits do not collide in practice; the loop only keeps the store's promise.
    try {
      for (;;) {
        record.id = randomBytes(16).toString("base64url");
        if ((await this.o.store.putFile(record)) === "ok") break;
      }
    } finally {
      release();
    }
    this.o.log.info("file.uploaded", {
      file: record.id,
      room: roomId,
      user: user.id,
      bytes: record.size,
    });
    return record;
  }

  /**
   * Deletes room files that no message shared within unsharedFileHours, and their bytes once
   * no record uses them, plus partial files a cut upload left. Files of DMs and groups are
   * encrypted by the client, which shares them inside an envelope the server cannot read: they
   * stay (the store lists only named files), counted in their uploader's quota. Returns how many
   * records it deleted.
   */
  async sweep(batch = 500): Promise<number> {
    const now = this.o.now();
    const cutoff = now - (this.o.unsharedFileHours ?? 24) * 3_600_000;
    let deleted = 0;
    for (const f of await this.o.store.unsharedFiles(cutoff, batch)) {
      const gone = await this.o.store.deleteFile(f.id);
      if (!gone.deleted) continue;
      deleted++;
      if (gone.blobUnused) await this.blobs.remove(f.sha256, cutoff);
    }
    const partials = await this.blobs.removePartials(now);
    if (deleted > 0 || partials > 0) this.o.log.info("files.swept", { deleted, partials });
    return deleted;
  }

  /**
   * The room is known only from the file: checked here, by the same Access as routes use. A
   * group's former member knows the group, so she is told she is no longer in it (NOT_MEMBER)
   * rather than that it does not exist; its files stay for its current members only, as its
   * history does (docs/e2ee.md 12).
   */
  private async requireReader(user: UserRef, room: number): Promise<void> {
    try {
      await this.o.access.requireMember(user, room);
    } catch (err) {
      if (
        err instanceof ParleyError &&
        err.code === "ROOM_NOT_FOUND" &&
        (await wasGroupMember(this.o.store, room, user.id))
      ) {
        throw new ParleyError(
          "NOT_MEMBER",
          "You are no longer a member of this group: its files are for its members only.",
        );
      }
      throw err;
    }
  }

  /**
   * The download of a file, for members of its room. Only PNG, JPEG, GIF and WebP are shown
   * inline (as images); everything else, HTML and SVG included, is an attachment, and nothing is
   * ever sniffed, scripted or framed.
   */
  async download(user: UserRef, id: string): Promise<Response> {
    const f = await this.o.store.findFile(id);
    if (!f) throw new ParleyError("FILE_NOT_FOUND");
    await this.requireReader(user, f.room);
    const blob = Bun.file(this.blobs.path(f.sha256));
    if (!(await blob.exists())) {
      this.o.log.error("file.blob_missing", { file: f.id, sha256: f.sha256 });
      throw new ParleyError("FILE_NOT_FOUND");
    }
    const inline = f.type !== undefined && INLINE_IMAGE_TYPES.has(f.type);
    return new Response(blob, {
      headers: {
        ...DOWNLOAD_HEADERS,
        "Content-Type": inline ? (f.type as string) : OCTET_STREAM,
        "Content-Disposition": contentDisposition(
          inline ? "inline" : "attachment",
          f.name ?? `${f.id}.bin`,
        ),
        "Content-Length": String(f.size),
        ETag: `"${f.sha256}"`,
      },
    });
  }
}
