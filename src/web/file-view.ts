/**
 * Files shared in rooms and DMs, as a message shows them: the four raster image types inline, any
 * other file as a card with its name, size and a download button; an image opens in full (with a
 * download button) when clicked. Downloads need the bearer
 * header, so bytes are fetched and shown through object URLs; image URLs are cached (a room
 * shown again does not fetch again) and revoked when evicted or when the session closes.
 */
import { safeName } from "../client-core/display-text.ts";
import { type FileTransfer, formatBytes, TransferError } from "../client-core/file-transfer.ts";
import type { FileAttachment } from "../crypto/index.ts";
import type { MessageFile } from "../protocol/index.ts";
import { INLINE_IMAGE_TYPES } from "../protocol/rules.ts";
import { h } from "./dom.ts";
import { ImageViewer } from "./image-viewer.ts";

/** Object URLs of images kept at once; the oldest is revoked past this. */
const IMAGE_CACHE_MAX = 200;
/** A download's object URL outlives the click by this long, so the browser can start it. */
const DOWNLOAD_URL_MS = 60_000;

/**
 * What a card or preview needs to know about a file; `id` is absent while it uploads. A DM's
 * file carries its `attachment` (key included): its bytes are decrypted and checked here.
 */
export type FileFacts = Omit<MessageFile, "id"> & { id?: string; attachment?: FileAttachment };

/** Shown instead of a DM file that does not decrypt or is not the file its sender described. */
export const FILE_ALTERED = "⚠ file altered";

export class FileViews {
  /** The full-size view an inline image opens; placed with the chat's dialogs. */
  readonly viewer = new ImageViewer();
  private readonly images = new Map<string, Promise<string>>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly transfer: FileTransfer) {}

  /** The view of a file in a message: an inline image or a card. */
  render(file: FileFacts): HTMLElement {
    if (file.id !== undefined && INLINE_IMAGE_TYPES.has(file.type))
      return this.image(file, file.id);
    return this.card(file);
  }

  /** Revokes every object URL: the session is over. */
  close(): void {
    for (const url of this.images.values()) void url.then(URL.revokeObjectURL, () => {});
    this.images.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private image(file: FileFacts, id: string): HTMLElement {
    const img = h("img", { class: "file-image", alt: file.name, decoding: "async" });
    const open = h(
      "button",
      { type: "button", class: "file-open", "aria-label": `View ${file.name}`, disabled: true },
      img,
    );
    const figure = h(
      "figure",
      { class: "file-preview loading", "data-file": id },
      open,
      h("figcaption", {}, `${safeName(file.name)} · ${formatBytes(file.size)}`),
    );
    this.imageUrl(file, id).then(
      (url) => {
        img.src = url;
        figure.classList.remove("loading");
        open.disabled = false;
        open.addEventListener("click", () =>
          this.viewer.show(file, url, () => this.save(file, id)),
        );
      },
      (err: unknown) => {
        // Not viewable (gone, refused): offer it as a download instead, with the reason.
        figure.replaceWith(this.card(file, failure(err)));
      },
    );
    return figure;
  }

  /** The file's plaintext: a DM file decrypted and checked against its SHA-256. */
  private bytesOf(file: FileFacts, id: string): Promise<Uint8Array<ArrayBuffer>> {
    if (file.attachment)
      return this.transfer.fetchShared({ kind: "dm", attachment: file.attachment });
    return this.transfer.download(id);
  }

  private imageUrl(file: FileFacts, id: string): Promise<string> {
    const cached = this.images.get(id);
    if (cached) {
      // Most recently used last, so eviction takes the oldest.
      this.images.delete(id);
      this.images.set(id, cached);
      return cached;
    }
    const url = this.bytesOf(file, id).then((bytes) =>
      URL.createObjectURL(new Blob([bytes], { type: file.type })),
    );
    url.catch(() => this.images.delete(id));
    this.images.set(id, url);
    while (this.images.size > IMAGE_CACHE_MAX) {
      const [oldest, gone] = this.images.entries().next().value as [string, Promise<string>];
      this.images.delete(oldest);
      void gone.then(URL.revokeObjectURL, () => {});
    }
    return url;
  }

  private card(file: FileFacts, error?: string): HTMLElement {
    const status = h("span", { class: "file-status", role: "status" }, error ?? "");
    const card = h(
      "div",
      { class: "file-card", "data-file": file.id },
      h("span", { class: "file-icon", "aria-hidden": "true" }, extension(file.name)),
      h(
        "span",
        { class: "file-facts" },
        h("span", { class: "file-name" }, safeName(file.name)),
        h("span", { class: "file-size" }, formatBytes(file.size)),
        status,
      ),
    );
    const id = file.id;
    if (id !== undefined) {
      const button = h(
        "button",
        { type: "button", class: "file-download", "aria-label": `Download ${file.name}` },
        "Download",
      );
      button.addEventListener("click", () => void this.download(file, id, button, status));
      card.append(button);
    }
    return card;
  }

  private async download(
    file: FileFacts,
    id: string,
    button: HTMLButtonElement,
    status: HTMLElement,
  ): Promise<void> {
    button.disabled = true;
    status.textContent = "Downloading…";
    try {
      await this.save(file, id);
      status.textContent = "";
    } catch (err) {
      status.textContent = failure(err);
    } finally {
      button.disabled = false;
    }
  }

  /** Fetches the file (decrypting a DM file) and hands it to the browser as a download. */
  private async save(file: FileFacts, id: string): Promise<void> {
    const bytes = await this.bytesOf(file, id);
    const url = URL.createObjectURL(new Blob([bytes]));
    const a = h("a", { href: url, download: file.name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    const t = setTimeout(() => {
      URL.revokeObjectURL(url);
      this.timers.delete(t);
    }, DOWNLOAD_URL_MS);
    this.timers.add(t);
  }
}

function failure(err: unknown): string {
  if (err instanceof TransferError && (err.code === "TAMPERED" || err.code === "DIGEST_MISMATCH"))
    return `${FILE_ALTERED}: ${err.message} (${err.code})`;
  if (err instanceof TransferError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** The badge on a card: the name's extension ("PDF"), or "FILE". */
function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1) : "";
  return /^[A-Za-z0-9]{1,4}$/.test(ext) ? ext.toUpperCase() : "FILE";
}
