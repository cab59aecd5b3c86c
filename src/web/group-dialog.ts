/**
 * Encrypted groups in the browser (docs/e2ee.md 12): "New group" (a name and the members'
 * usernames) and, in a group, the "Group" dialog: its members, Add, Remove per member (admins'
 * changes, refused otherwise by every member's client) and Leave. Each change is a membership
 * version signed on this device by the shared SecureGroups; the timeline says it to everyone.
 */
import type { RoomSummary } from "../protocol/index.ts";
import type { Conversations } from "./conversations.ts";
import { h } from "./dom.ts";
import type { PrivateMessages } from "./private-messages.ts";

/** Tracks and shows a group made here; resolves with an error text, or undefined. */
type Made = (run: () => Promise<RoomSummary>) => Promise<string | undefined>;

const names = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((n) => n.replace(/^@/, ""))
    .filter(Boolean);

export class GroupDialog {
  readonly root: HTMLDialogElement;
  /** Opens the dialog to create a group. */
  readonly newButton: HTMLButtonElement;
  /** In the header, shown in a group only (style.css): its members and changes. */
  readonly manageButton: HTMLButtonElement;
  private readonly error = h("p", { class: "form-error", role: "alert" });
  private readonly title = h("h2", { id: "group-dialog-title" }, "New group");
  private readonly body = h("div", {});
  constructor(
    private readonly dms: PrivateMessages,
    private readonly conversations: Conversations,
    private readonly made: Made,
  ) {
    this.newButton = h("button", { type: "button", class: "text-button" }, "New group");
    this.newButton.addEventListener("click", () => this.openNew());
    this.manageButton = h("button", { type: "button", class: "text-button group-only" }, "Group");
    this.manageButton.addEventListener("click", () => void this.openManage());
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog", "aria-labelledby": "group-dialog-title" },
      h("div", { class: "dialog-head" }, this.title, close),
      this.error,
      this.body,
    );
  }

  private fail(err: unknown): void {
    this.error.textContent = err instanceof Error ? err.message : String(err);
  }

  openNew(): void {
    this.title.textContent = "New group";
    this.error.textContent = "";
    const name = h("input", { id: "group-name", name: "name", required: true, maxlength: 32 });
    const members = h("input", {
      id: "group-members",
      name: "members",
      placeholder: "usernames, separated by spaces",
    });
    const form = h(
      "form",
      { class: "create-room" },
      h("label", { for: "group-name" }, "Group name"),
      name,
      h("label", { for: "group-members" }, "Members"),
      h(
        "div",
        { class: "row" },
        members,
        h("button", { type: "submit", class: "primary" }, "Create"),
      ),
      h("p", { class: "hint" }, "Groups are end-to-end encrypted, for up to 32 people."),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.error.textContent = "";
      const run = () => this.dms.groups.create(name.value.trim(), names(members.value));
      void this.made(run).then((failed) => {
        if (failed) this.error.textContent = failed;
        else this.root.close();
      });
    });
    this.body.replaceChildren(form);
    this.show();
    name.focus();
  }

  /** The dialog lives in the page's body, as the Devices dialog's does. */
  private show(): void {
    if (!this.root.isConnected) document.body.append(this.root);
    this.root.showModal();
  }

  private async openManage(): Promise<void> {
    const shown = this.conversations.shown;
    if (!shown?.isGroup) return;
    const room = shown.id;
    const groups = this.dms.groups;
    this.title.textContent = "Group";
    this.error.textContent = "";
    const act = (change: () => Promise<void>) =>
      change().then(
        () => this.root.close(),
        (err) => this.fail(err),
      );
    const list = h("ul", { class: "group-members", "aria-label": "Members" });
    for (const u of (await groups.members(room)) ?? []) {
      const remove = h("button", { type: "button" }, "Remove");
      remove.setAttribute("aria-label", `Remove ${groups.nameOf(u)}`);
      remove.addEventListener(
        "click",
        () => void act(() => groups.remove(room, [groups.nameOf(u)])),
      );
      list.append(h("li", {}, h("span", {}, groups.nameOf(u)), remove));
    }
    const add = h("input", { id: "group-add", name: "add", placeholder: "username" });
    const form = h(
      "form",
      { class: "create-room" },
      h("label", { for: "group-add" }, "Add someone"),
      h("div", { class: "row" }, add, h("button", { type: "submit", class: "primary" }, "Add")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void act(() => groups.add(room, names(add.value)));
    });
    const leave = h("button", { type: "button", class: "danger" }, "Leave group");
    leave.addEventListener("click", () => void act(() => groups.leave(room)));
    this.body.replaceChildren(list, form, leave);
    this.show();
  }
}
