/**
 * Sharing a file in a public room from the browser: it shows at once as a pending message
 * ("Uploading…"), is uploaded over HTTP, then shared by a send carrying its id under the cid it
 * was given, so the outbox's retries stay idempotent. A file over the server's limit is refused
 * before its upload starts, with the limit in megabytes; any failure stays on screen with its
 * reason until it is retried or dismissed.
 */
import { type FileTransfer, formatBytes, TransferError } from "../client-core/file-transfer.ts";
import { newClientId } from "./client-id.ts";
import type { Conversation, Pending } from "./conversation.ts";

export interface FileShareHooks {
  transfer: FileTransfer;
  /** The server's upload limit (hello.limits.maxUploadBytes): a larger file is refused here. */
  maxBytes?: number | undefined;
  /** Queues the message sharing the uploaded file (the connection's send with `file`). */
  send(room: number, cid: string, fileId: string): void;
  /** The conversation's pending messages changed: redraw them if it is on screen. */
  changed(room: number): void;
}

/** Uploads `file` to the room and shares it; failures are shown on its pending message. */
export function shareFile(c: Conversation, file: File, hooks: FileShareHooks): Promise<void> {
  return shareWithPending(c, file, hooks, async (type) => {
    const uploaded = await hooks.transfer.upload(c.id, file, { name: file.name, type });
    return (cid) => hooks.send(c.id, cid, uploaded.id);
  });
}

/**
 * The life of a shared file on screen, for rooms and DMs alike: a pending "Uploading…" message
 * at once, then `upload`, which returns the send to make under the message's cid once the
 * bytes are stored; a failure stays on the pending message with its reason.
 */
export async function shareWithPending(
  c: Conversation,
  file: File,
  { changed, maxBytes }: { changed(room: number): void; maxBytes?: number | undefined },
  upload: (type: string) => Promise<(cid: string) => void>,
): Promise<void> {
  const type = file.type || "application/octet-stream";
  const p: Pending = {
    cid: newClientId(),
    body: "",
    ts: Date.now(),
    state: "uploading",
    file: { name: file.name, size: file.size, type },
    source: file,
  };
  c.pending.push(p);
  if (maxBytes !== undefined && file.size > maxBytes) {
    // Refused before a byte is sent; no Retry, the same file would be refused again.
    p.state = "failed";
    p.error = tooLarge(file, maxBytes);
    p.source = undefined;
    changed(c.id);
    return;
  }
  changed(c.id);
  try {
    const share = await upload(type);
    p.state = "pending";
    changed(c.id);
    share(p.cid);
  } catch (err) {
    p.state = "failed";
    p.error = uploadError(file, err, maxBytes);
    if (err instanceof TransferError && err.code === "FILE_TOO_LARGE") p.source = undefined;
    changed(c.id);
  }
}

/** A size limit as people write it: "25 MB", "4 KB". */
export function limitText(n: number): string {
  return formatBytes(n).replace(/\.0 /, " ");
}

function tooLarge(file: { name: string; size: number }, limit: number): string {
  return `${file.name} is too large to share (${formatBytes(file.size)}): files can be at most ${limitText(limit)}.`;
}

/** Why an upload failed, as the person sharing the file should read it. */
export function uploadError(
  file: { name: string; size: number },
  err: unknown,
  limit?: number,
): string {
  if (!(err instanceof TransferError)) return err instanceof Error ? err.message : String(err);
  if (err.code === "FILE_TOO_LARGE") {
    // The server's message counts bytes; say it as the limit people read, when it is known.
    if (limit !== undefined) return tooLarge(file, limit);
    return `${file.name} is too large to share (${formatBytes(file.size)}). ${err.message}`;
  }
  return `${err.message} (${err.code})`;
}
