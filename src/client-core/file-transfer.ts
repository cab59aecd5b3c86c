/**
 * Files over the HTTP API: upload to a room, DM or group and download by id. Files in DMs and
 * groups are encrypted here before they leave (a fresh key per file) and shared by sealing an
 * attachment descriptor as the message's text; downloads of them are decrypted and checked
 * against the sender's SHA-256.
 * Uses only fetch and WebCrypto, so the browser client can share it.
 */
import { attachmentText, decryptFile, encryptFile, type FileAttachment } from "../crypto/index.ts";
import type { FileView, MessageFile } from "../protocol/index.ts";

export interface FileTransferOptions {
  /** The node in use (it may change on failover): the connection's `server`. */
  server: () => string;
  token: string;
  fetch?: typeof fetch;
}

/** A refused or failed transfer: the server's code, or TAMPERED / DIGEST_MISMATCH / UNREACHABLE. */
export class TransferError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "TransferError";
  }
}

/** A file a message shared: in a room by reference, in a DM or a group ("dm") with its key. */
export type SharedFile =
  | { kind: "room"; file: MessageFile }
  | { kind: "dm"; attachment: FileAttachment };

/** "812 B", "12.4 KB", "3.1 MB": sizes as people read them. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

export class FileTransfer {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly o: FileTransferOptions) {
    this.fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(new URL(path, this.o.server()), {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${this.o.token}`,
        },
      });
    } catch (err) {
      throw new TransferError(
        "UNREACHABLE",
        `The server cannot be reached (${(err as Error).message}).`,
      );
    }
    if (res.ok) return res;
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new TransferError(
      body.code ?? "INTERNAL",
      body.message ?? `The server answered ${res.status}.`,
    );
  }

  /**
   * Uploads bytes as they are (a Blob streams from disk). A name is given for a room and never
   * for a DM or a group, whose bytes must already be ciphertext.
   */
  async upload(
    room: number,
    body: Blob | Uint8Array<ArrayBuffer>,
    meta: { name?: string; type?: string } = {},
  ): Promise<FileView> {
    const query = meta.name !== undefined ? `?name=${encodeURIComponent(meta.name)}` : "";
    const res = await this.request(`/api/rooms/${room}/files${query}`, {
      method: "POST",
      headers: { "content-type": meta.type || "application/octet-stream" },
      body,
    });
    return ((await res.json()) as { file: FileView }).file;
  }

  /**
   * Encrypts and uploads a file to a DM or a group; the returned text, sealed as a message
   * there, shares it.
   */
  async uploadForDm(
    room: number,
    bytes: Uint8Array<ArrayBuffer>,
    meta: { name: string; type: string },
  ): Promise<{ text: string; attachment: FileAttachment; uploaded: FileView }> {
    const sealed = await encryptFile(bytes);
    const uploaded = await this.upload(room, sealed.ciphertext);
    const described = {
      id: uploaded.id,
      name: meta.name,
      type: meta.type,
      size: sealed.size,
      sha256: sealed.sha256,
      key: sealed.key,
      iv: sealed.iv,
    };
    return {
      text: attachmentText(described),
      attachment: { t: "parley.file", v: 1, ...described },
      uploaded,
    };
  }

  /** The bytes as stored: a room file as is, a DM's or group's still encrypted. */
  async download(id: string): Promise<Uint8Array<ArrayBuffer>> {
    const res = await this.request(`/api/files/${encodeURIComponent(id)}`, { method: "GET" });
    return new Uint8Array(await res.arrayBuffer());
  }

  /** A shared file's plaintext: sealed ones decrypted and checked against the sender's SHA-256. */
  async fetchShared(shared: SharedFile): Promise<Uint8Array<ArrayBuffer>> {
    if (shared.kind === "room") return this.download(shared.file.id);
    const a = shared.attachment;
    const result = await decryptFile(await this.download(a.id), a);
    if (result.ok) return result.bytes;
    throw result.reason === "tampered"
      ? new TransferError("TAMPERED", "The file was altered: it does not decrypt with its key.")
      : new TransferError(
          "DIGEST_MISMATCH",
          "The file decrypted, but it is not the file the sender described (SHA-256 differs).",
        );
  }
}
