/**
 * Sharing a file in a public room from the browser: it shows at once as a pending message
 * ("Uploading…"), is uploaded over HTTP, then shared by a send carrying its id under the cid it
 * was given, so the outbox's retries stay idempotent. A refused upload stays on screen with the
 * reason, FILE_TOO_LARGE spelt out with the file's size.
 */
import { type FileTransfer, formatBytes, TransferError } from "../client/file-transfer.ts";
import { newClientId } from "./client-id.ts";
import type { Conversation, Pending } from "./conversation.ts";

export interface FileShareHooks {
  transfer: FileTransfer;
  /** Queues the message sharing the uploaded file (the connection's send with `file`). */
  send(room: number, cid: string, fileId: string): void;
  /** The conversation's pending messages changed: redraw them if it is on screen. */
  changed(room: number): void;
}

/** Uploads `file` to the room and shares it; failures are shown on its pending message. */
export function shareFile(c: Conversation, file: File, hooks: FileShareHooks): Promise<void> {
  return shareWithPending(c, file, hooks.changed, async (type) => {
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
  changed: (room: number) => void,
  upload: (type: string) => Promise<(cid: string) => void>,
): Promise<void> {
  const type = file.type || "application/octet-stream";
  const p: Pending = {
    cid: newClientId(),
    body: "",
    ts: Date.now(),
    state: "uploading",
    file: { name: file.name, size: file.size, type },
  };
  c.pending.push(p);
  changed(c.id);
  try {
    const share = await upload(type);
    p.state = "pending";
    changed(c.id);
    share(p.cid);
  } catch (err) {
    p.state = "failed";
    p.error = uploadError(file, err);
    changed(c.id);
  }
}

/** Why an upload failed, as the person sharing the file should read it. */
export function uploadError(file: { name: string; size: number }, err: unknown): string {
  if (!(err instanceof TransferError)) return err instanceof Error ? err.message : String(err);
  if (err.code === "FILE_TOO_LARGE") {
    return `${file.name} is too large to share (${formatBytes(file.size)}). ${err.message} (FILE_TOO_LARGE)`;
  }
  return `${err.message} (${err.code})`;
}
