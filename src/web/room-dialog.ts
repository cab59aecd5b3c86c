/**
 * The "create or join a room" dialog: a native <dialog> (focus trapped, Escape closes), with
 * the public rooms not joined yet and a form to create one. Refusals are shown in it.
 */
import { safeName } from "../client/display-text.ts";
import type { RoomSummary } from "../protocol/index.ts";
import { h } from "./dom.ts";

export interface RoomDialogHooks {
  /** Public rooms, to offer those not joined. */
  list(): Promise<RoomSummary[]>;
  /** Resolve with an error text, or undefined once done. */
  join(name: string): Promise<string | undefined>;
  create(name: string, visibility: "public" | "private"): Promise<string | undefined>;
}

export class RoomDialog {
  readonly root: HTMLDialogElement;
  private readonly joinable: HTMLUListElement;
  private readonly error: HTMLParagraphElement;
  private readonly name: HTMLInputElement;
  private readonly private: HTMLInputElement;

  constructor(private readonly hooks: RoomDialogHooks) {
    this.joinable = h("ul", { class: "joinable", "aria-labelledby": "join-heading" });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.name = h("input", {
      id: "new-room-name",
      name: "room",
      autocomplete: "off",
      required: true,
      minlength: 2,
      maxlength: 32,
      pattern: "[A-Za-z0-9][A-Za-z0-9_\\-]{1,31}",
      placeholder: "e.g. design-team",
    });
    this.private = h("input", { type: "checkbox", id: "new-room-private", name: "private" });
    const create = h(
      "form",
      { class: "create-room", "aria-labelledby": "create-heading" },
      h("h3", { id: "create-heading" }, "Create a room"),
      h("label", { for: "new-room-name" }, "Room name"),
      h(
        "div",
        { class: "row" },
        this.name,
        h("button", { type: "submit", class: "primary" }, "Create"),
      ),
      h("p", { class: "hint" }, "2 to 32 letters, digits, '_' or '-'."),
      h("label", { class: "check" }, this.private, " Private: unlisted, by invite code only"),
    );
    create.addEventListener("submit", (e) => {
      e.preventDefault();
      const visibility = this.private.checked ? "private" : "public";
      void this.run(() => this.hooks.create(this.name.value.trim(), visibility));
    });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog", "aria-labelledby": "room-dialog-title" },
      h("div", { class: "dialog-head" }, h("h2", { id: "room-dialog-title" }, "Rooms"), close),
      this.error,
      h("h3", { id: "join-heading" }, "Join a room"),
      this.joinable,
      create,
    );
  }

  async open(): Promise<void> {
    this.error.textContent = "";
    this.name.value = "";
    this.joinable.replaceChildren(h("li", { class: "hint" }, "Loading…"));
    this.root.showModal();
    this.name.focus();
    await this.renderList();
  }

  /** A room was created somewhere: an open dialog lists it at once. */
  async refresh(): Promise<void> {
    if (this.root.open) await this.renderList();
  }

  private async renderList(): Promise<void> {
    try {
      const open = (await this.hooks.list()).filter((r) => r.kind === "room" && !r.joined);
      this.joinable.replaceChildren(
        ...open.map((r) => {
          const b = h(
            "button",
            // Named by its text ("Join #general 3 members"), so what is read out contains what
            // is shown and voice control finds it.
            { type: "button", class: "joinable-room" },
            h("span", { class: "visually-hidden" }, "Join "),
            h("span", { class: "name" }, `#${safeName(r.name)}`),
            " ",
            h("span", { class: "count" }, `${r.members} member${r.members === 1 ? "" : "s"}`),
          );
          b.addEventListener("click", () => void this.run(() => this.hooks.join(r.name)));
          return h("li", {}, b);
        }),
      );
      if (open.length === 0) {
        this.joinable.replaceChildren(h("li", { class: "hint" }, "You are in every room."));
      }
    } catch (err) {
      this.joinable.replaceChildren();
      this.error.textContent = err instanceof Error ? err.message : String(err);
    }
  }

  private async run(action: () => Promise<string | undefined>): Promise<void> {
    this.error.textContent = "";
    const failed = await action();
    if (failed) this.error.textContent = failed;
    else this.root.close();
  }
}
