/**
 * Files in end-to-end encrypted DMs, as the terminal client shares them (docs/protocol.md 4.6):
 * encrypted here with a fresh key, only the ciphertext uploaded, and shared by sealing the
 * attachment descriptor as the DM's text. A received descriptor becomes the message's `file`
 * (with its attachment, for decrypting) and is never shown as text: it holds the key.
 */
import type { FileTransfer } from "../client-core/file-transfer.ts";
import { type FileAttachment, parseAttachment } from "../crypto/index.ts";
import type { MessageFile } from "../protocol/index.ts";
import type { Conversation } from "./conversation.ts";
import { shareWithPending } from "./file-share.ts";

/** A DM's shared file: what its card shows, and the attachment that decrypts it. */
export type DmFile = MessageFile & { attachment: FileAttachment };

/** The file a DM's opened text shares, or undefined when it is ordinary text. */
export function dmFileOf(text: string): DmFile | undefined {
  const a = parseAttachment(text);
  if (!a) return undefined;
  return { id: a.id, name: a.name, size: a.size, type: a.type, attachment: a };
}

export interface DmFileShareHooks {
  transfer: FileTransfer;
  /** The server's upload limit (hello.limits.maxUploadBytes): a larger file is refused here. */
  maxBytes?: number | undefined;
  /** Seals and sends the descriptor under `cid` (PrivateMessages.send: held on key changes). */
  send(room: number, text: string, cid: string): void;
  /** The conversation's pending messages changed: redraw them if it is on screen. */
  changed(room: number): void;
}

/**
 * Encrypts `file`, uploads the ciphertext to the DM and shares it; failures are shown on its
 * pending message. The pending message shows the file's card, never the descriptor.
 */
export function shareDmFile(c: Conversation, file: File, hooks: DmFileShareHooks): Promise<void> {
  return shareWithPending(c, file, hooks, async (type) => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const shared = await hooks.transfer.uploadForDm(c.id, bytes, { name: file.name, type });
    return (cid) => hooks.send(c.id, shared.text, cid);
  });
}
