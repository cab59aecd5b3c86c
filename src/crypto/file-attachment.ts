/**
 * The attachment descriptor: how a DM shares a file. It is the whole text of a sealed DM, as
 * JSON, so the server never sees it: the uploaded ciphertext's id, the file's name, type and
 * size, the plaintext's SHA-256, and the key and iv that decrypt it. Clients recognise a DM
 * whose text parses as one and show it as a file; any other text is an ordinary message.
 */
import { z } from "zod";
import { base64UrlOf, CONTENT_KEY_BYTES, GCM_IV_BYTES } from "./wire.ts";

export const FILE_ATTACHMENT_TAG = "parley.file";

export const fileAttachmentSchema = z.strictObject({
  t: z.literal(FILE_ATTACHMENT_TAG),
  v: z.literal(1),
  /** The server's id of the uploaded ciphertext. */
  id: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  name: z.string().min(1).max(255),
  type: z.string().max(255),
  /** Plaintext bytes. */
  size: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  key: base64UrlOf(CONTENT_KEY_BYTES),
  iv: base64UrlOf(GCM_IV_BYTES),
});
export type FileAttachment = z.infer<typeof fileAttachmentSchema>;

/** The DM text that shares a file. */
export function attachmentText(a: Omit<FileAttachment, "t" | "v">): string {
  return JSON.stringify({ t: FILE_ATTACHMENT_TAG, v: 1, ...a });
}

/** The attachment a DM's text describes, or undefined when it is ordinary text. */
export function parseAttachment(text: string): FileAttachment | undefined {
  if (!text.startsWith("{") || !text.includes(FILE_ATTACHMENT_TAG)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = fileAttachmentSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
