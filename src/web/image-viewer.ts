/**
 * An image shared in a conversation, opened in full: a modal <dialog> with the picture at its
 * own size (scrolling when it is larger than the screen), its name and size, a Download button
 * and a Close button. Escape closes it, as any dialog.
 */
import { formatBytes } from "../client-core/file-transfer.ts";
import { h } from "./dom.ts";

export class ImageViewer {
  readonly root: HTMLDialogElement;
  private readonly title: HTMLHeadingElement;
  private readonly facts: HTMLParagraphElement;
  private readonly img: HTMLImageElement;
  private readonly download: HTMLButtonElement;
  private readonly status: HTMLSpanElement;
  private save: (() => Promise<void>) | undefined;

  constructor() {
    this.title = h("h2", { id: "image-viewer-title", class: "image-viewer-title" });
    this.facts = h("p", { class: "hint" });
    this.img = h("img", { class: "image-viewer-image", alt: "" });
    this.status = h("span", { class: "file-status", role: "status" });
    this.download = h("button", { type: "button", class: "primary" }, "Download");
    this.download.addEventListener("click", () => void this.runSave());
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog image-viewer", "aria-labelledby": "image-viewer-title" },
      h("div", { class: "dialog-head" }, this.title, close),
      h("div", { class: "image-viewer-frame", tabindex: 0, "aria-label": "Image" }, this.img),
      h("div", { class: "row" }, this.facts, this.status, this.download),
    );
    this.root.addEventListener("close", () => {
      this.img.removeAttribute("src");
      this.save = undefined;
    });
  }

  /** Shows `url` (an object URL the caller keeps alive); `save` downloads the file. */
  show(
    file: { name: string; size: number; type: string },
    url: string,
    save: () => Promise<void>,
  ): void {
    this.title.textContent = file.name;
    this.facts.textContent = `${formatBytes(file.size)} · ${file.type}`;
    this.img.alt = file.name;
    this.img.src = url;
    this.status.textContent = "";
    this.save = save;
    this.root.showModal();
  }

  private async runSave(): Promise<void> {
    if (!this.save) return;
    this.download.disabled = true;
    this.status.textContent = "Downloading…";
    try {
      await this.save();
      this.status.textContent = "";
    } catch (err) {
      this.status.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      this.download.disabled = false;
    }
  }
}
