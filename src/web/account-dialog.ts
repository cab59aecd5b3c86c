/**
 * "Account": a native <dialog> with the user's sessions (each can be revoked), "log out
 * everywhere else", and a password change, which logs every other session out. Its button goes
 * in the sidebar; the dialog puts itself into the page the first time it opens.
 */
import { type Api, failureText, type SessionView } from "../client-core/api.ts";
import { deletionForm } from "./account-deletion.ts";
import { h } from "./dom.ts";

function when(ms: number): string {
  return ms > 0 ? new Date(ms).toLocaleString() : "never";
}

export class AccountDialog {
  readonly button: HTMLButtonElement;
  readonly root: HTMLDialogElement;
  private readonly list: HTMLUListElement;
  private readonly error: HTMLParagraphElement;
  private readonly notice: HTMLParagraphElement;
  private readonly current: HTMLInputElement;
  private readonly next: HTMLInputElement;

  constructor(
    private readonly api: Api,
    private readonly token: string,
    /** The account was deleted: the page logs out. */
    deleted?: () => void,
  ) {
    this.button = h("button", { type: "button", class: "text-button" }, "Account");
    this.button.addEventListener("click", () => void this.open());
    this.list = h("ul", { class: "joinable sessions", "aria-labelledby": "sessions-heading" });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.notice = h("p", { class: "hint", role: "status" });
    const everywhere = h(
      "button",
      { type: "button", class: "text-button", id: "revoke-others" },
      "Log out everywhere else",
    );
    everywhere.addEventListener(
      "click",
      () =>
        void this.act(async () => {
          const r = await this.api.revokeOtherSessions(this.token);
          return r.ok ? `Logged out ${r.value} other session${r.value === 1 ? "" : "s"}.` : r;
        }),
    );
    const password = (id: string, label: string) =>
      h("input", {
        id,
        type: "password",
        required: true,
        minlength: 8,
        maxlength: 256,
        autocomplete: id === "current-password" ? "current-password" : "new-password",
        "aria-label": label,
      });
    this.current = password("current-password", "Current password");
    this.next = password("new-password", "New password");
    const change = h(
      "form",
      { class: "create-room", "aria-labelledby": "password-heading" },
      h("h3", { id: "password-heading" }, "Change password"),
      h("label", { for: "current-password" }, "Current password"),
      this.current,
      h("label", { for: "new-password" }, "New password"),
      h(
        "div",
        { class: "row" },
        this.next,
        h("button", { type: "submit", class: "primary" }, "Change"),
      ),
      h("p", { class: "hint" }, "Every other session is logged out."),
    );
    change.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.act(async () => {
        const r = await this.api.changePassword(this.token, this.current.value, this.next.value);
        if (!r.ok) return r;
        this.current.value = this.next.value = "";
        return `Password changed; ${r.value} other session${r.value === 1 ? " was" : "s were"} logged out.`;
      });
    });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog account-dialog", "aria-labelledby": "account-dialog-title" },
      h("div", { class: "dialog-head" }, h("h2", { id: "account-dialog-title" }, "Account"), close),
      this.error,
      this.notice,
      h("h3", { id: "sessions-heading" }, "Sessions"),
      this.list,
      everywhere,
      change,
    );
    if (deleted) {
      const fail = (text: string) => {
        this.error.textContent = text;
      };
      this.root.append(deletionForm(this.api, this.token, { fail, deleted }));
    }
  }

  async open(): Promise<void> {
    if (!this.root.isConnected) document.body.append(this.root);
    this.error.textContent = this.notice.textContent = "";
    this.root.showModal();
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    this.list.replaceChildren(h("li", { class: "hint" }, "Loading…"));
    const r = await this.api.sessions(this.token);
    if (!r.ok) {
      this.list.replaceChildren();
      this.error.textContent = failureText(r.failure, this.api.server);
      return;
    }
    this.list.replaceChildren(...r.value.map((s) => this.row(s)));
  }

  private row(s: SessionView): HTMLLIElement {
    const text = h(
      "span",
      { class: "name" },
      `${s.agent || "Unknown client"}${s.current ? " (this browser)" : ""}`,
    );
    const detail = h(
      "span",
      { class: "count" },
      `signed in ${when(s.createdAt)}, last seen ${when(s.lastSeenAt)}`,
    );
    const item = h("li", { "data-session": s.id }, text, detail);
    if (!s.current) {
      const revoke = h(
        "button",
        { type: "button", class: "text-button", "aria-label": `Revoke session ${s.id}` },
        "Revoke",
      );
      revoke.addEventListener(
        "click",
        () =>
          void this.act(async () => {
            const r = await this.api.revokeSession(this.token, s.id);
            return r.ok ? "Session revoked." : r;
          }),
      );
      item.append(revoke);
    }
    return item;
  }

  /** Runs an action; shows its message or failure, then lists the sessions again. */
  private async act(
    action: () => Promise<string | { ok: false; failure: Parameters<typeof failureText>[0] }>,
  ): Promise<void> {
    this.error.textContent = this.notice.textContent = "";
    const outcome = await action();
    if (typeof outcome === "string") this.notice.textContent = outcome;
    else this.error.textContent = failureText(outcome.failure, this.api.server);
    await this.refresh();
  }
}
