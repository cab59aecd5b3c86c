/**
 * "Message someone": a native <dialog> asking for a username, to open (or start) an end-to-end
 * encrypted DM with them. Refusals (no such user, blocked) are shown in it.
 */
import { h } from "./dom.ts";

export interface DmDialogHooks {
  /** Resolve with an error text, or undefined once the DM is open. */
  open(user: string): Promise<string | undefined>;
}

export class DmDialog {
  readonly root: HTMLDialogElement;
  private readonly error: HTMLParagraphElement;
  private readonly name: HTMLInputElement;

  constructor(hooks: DmDialogHooks) {
    this.error = h("p", { class: "form-error", role: "alert" });
    this.name = h("input", {
      id: "dm-user-name",
      name: "user",
      autocomplete: "off",
      required: true,
      maxlength: 32,
      placeholder: "their username",
    });
    const form = h(
      "form",
      { class: "create-room", "aria-labelledby": "dm-dialog-title" },
      h("label", { for: "dm-user-name" }, "Username"),
      h(
        "div",
        { class: "row" },
        this.name,
        h("button", { type: "submit", class: "primary" }, "Open"),
      ),
      h("p", { class: "hint" }, "Private messages are end-to-end encrypted on this device."),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const user = this.name.value.trim().replace(/^@/, "");
      if (user === "") return;
      this.error.textContent = "";
      void hooks.open(user).then((failed) => {
        if (failed) this.error.textContent = failed;
        else this.root.close();
      });
    });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog", "aria-labelledby": "dm-dialog-title" },
      h(
        "div",
        { class: "dialog-head" },
        h("h2", { id: "dm-dialog-title" }, "Message someone"),
        close,
      ),
      this.error,
      form,
    );
  }

  open(): void {
    this.error.textContent = "";
    this.name.value = "";
    this.root.showModal();
    this.name.focus();
  }
}
