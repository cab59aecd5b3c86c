/**
 * The "create or join a room" dialog: a native <dialog> (focus trapped, Escape closes), with
 * the public rooms not joined yet (a page at a time, or the one found by name) and a form to
 * create one. Refusals are shown in it.
 */
import { safeName } from "../client-core/display-text.ts";
import type { RoomSummary } from "../protocol/index.ts";
import { h } from "./dom.ts";

/** `after`: the `next` of the page before; `name`: just the public room of that name. */
export type RoomPageQuery = { after?: string; name?: string };

export interface RoomDialogHooks {
  /** A page of public rooms, to offer those not joined; `next` when more follow. */
  list(q: RoomPageQuery): Promise<{ rooms: RoomSummary[]; next?: string | undefined }>;
  /** Resolve with an error text, or undefined once done. */
  join(name: string): Promise<string | undefined>;
  create(name: string, visibility: "public" | "private"): Promise<string | undefined>;
}

export class RoomDialog {
  readonly root: HTMLDialogElement;
  private readonly joinable: HTMLUListElement;
  private readonly more: HTMLButtonElement;
  private readonly find: HTMLInputElement;
  /** The `next` of the last page shown; the name searched for ("" for every room). */
  private next: string | undefined;
  private query = "";
  /** Bumped by each fresh listing, so a late answer for an older one is dropped. */
  private listing = 0;
  private readonly error: HTMLParagraphElement;
  private readonly name: HTMLInputElement;
  private readonly private: HTMLInputElement;

  constructor(private readonly hooks: RoomDialogHooks) {
    this.joinable = h("ul", { class: "joinable", "aria-labelledby": "join-heading" });
    this.find = h("input", {
      type: "search",
      id: "find-room-name",
      autocomplete: "off",
      maxlength: 33,
      placeholder: "Find a room by its name",
    });
    this.more = h("button", { type: "button", class: "text-button more-rooms" }, "Show more rooms");
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
      this.listingPart(),
      create,
    );
  }

  /** The search form, the rooms and "Show more rooms". */
  private listingPart(): HTMLDivElement {
    const search = h(
      "form",
      { class: "find-room", role: "search", "aria-label": "Find a room" },
      h("label", { for: "find-room-name", class: "visually-hidden" }, "Find a room by name"),
      h("div", { class: "row" }, this.find, h("button", { type: "submit" }, "Find")),
    );
    search.addEventListener("submit", (e) => {
      e.preventDefault();
      this.query = this.find.value.trim().replace(/^#/, "");
      void this.renderList();
    });
    // Clearing the search shows every room again.
    this.find.addEventListener("input", () => {
      if (this.find.value === "" && this.query !== "") {
        this.query = "";
        void this.renderList();
      }
    });
    this.more.hidden = true;
    this.more.addEventListener("click", () => void this.showMore());
    return h("div", { class: "room-listing" }, search, this.joinable, this.more);
  }

  async open(): Promise<void> {
    this.error.textContent = "";
    this.find.value = "";
    this.query = "";
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

  /** The first page again (or the room searched for). */
  private async renderList(): Promise<void> {
    const listing = ++this.listing;
    const q = this.query === "" ? {} : { name: this.query };
    const items = await this.page(listing, q);
    if (!items) return;
    this.joinable.replaceChildren(...items);
    if (items.length > 0 || this.next !== undefined) return;
    const none =
      this.query === ""
        ? "You are in every room."
        : `No room named #${safeName(this.query)} to join.`;
    this.joinable.replaceChildren(h("li", { class: "hint" }, none));
  }

  /** The page after the last one shown; focus goes to its first room. */
  private async showMore(): Promise<void> {
    // One page at a time: a second click while one loads would fetch it twice.
    if (this.next === undefined || this.more.disabled) return;
    this.more.disabled = true;
    const items = await this.page(this.listing, { after: this.next });
    this.more.disabled = false;
    if (!items) return;
    this.joinable.append(...items);
    const first = items[0]?.querySelector("button");
    if (first) first.focus();
    else if (this.more.hidden) this.find.focus();
  }

  /** One page as list items, or undefined if a newer listing began meanwhile or it failed. */
  private async page(listing: number, q: RoomPageQuery): Promise<HTMLLIElement[] | undefined> {
    try {
      const { rooms, next } = await this.hooks.list(q);
      if (listing !== this.listing) return undefined;
      this.next = next;
      this.more.hidden = next === undefined;
      return rooms.filter((r) => r.kind === "room" && !r.joined).map((r) => this.item(r));
    } catch (err) {
      if (listing !== this.listing) return undefined;
      this.joinable.replaceChildren();
      this.more.hidden = true;
      this.error.textContent = err instanceof Error ? err.message : String(err);
      return undefined;
    }
  }

  private item(r: RoomSummary): HTMLLIElement {
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
  }

  private async run(action: () => Promise<string | undefined>): Promise<void> {
    this.error.textContent = "";
    const failed = await action();
    if (failed) this.error.textContent = failed;
    else this.root.close();
  }
}
