/**
 * The admin page, for server admins only: accounts (promote, demote, disable, enable), rooms
 * (rename, archive, delete: admin-rooms.ts), the registration mode, registration invite codes,
 * and the server's audit log. Its button shows
 * only once the server said this user is an admin; the server checks every action again.
 */
import { safeName } from "../client-core/display-text.ts";
import { type AdminRoom, roomRows } from "./admin-rooms.ts";
import { h } from "./dom.ts";

interface Account {
  id: number;
  name: string;
  admin: boolean;
  disabled: boolean;
}

interface AuditRow {
  action: string;
  actor: { name: string };
  target?: { name: string };
  reason: string;
  at: number;
}

export class AdminPage {
  readonly root: HTMLDialogElement;
  readonly button: HTMLButtonElement;
  private readonly users: HTMLUListElement;
  private readonly rooms: HTMLUListElement;
  private readonly audit: HTMLOListElement;
  private readonly mode: HTMLSelectElement;
  private readonly code: HTMLOutputElement;
  private readonly error: HTMLParagraphElement;

  constructor(
    private readonly server: string,
    private readonly token: string,
  ) {
    this.button = h("button", { type: "button", class: "text-button", hidden: true }, "Admin");
    this.button.addEventListener("click", () => void this.open());
    this.users = h("ul", { class: "admin-users", "aria-labelledby": "admin-users-heading" });
    this.rooms = h("ul", { class: "admin-rooms", "aria-labelledby": "admin-rooms-heading" });
    this.audit = h("ol", { class: "admin-audit", "aria-labelledby": "admin-audit-heading" });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.mode = h(
      "select",
      { id: "admin-registration" },
      ...["open", "invite", "closed"].map((m) => h("option", { value: m }, m)),
    );
    this.mode.addEventListener("change", () => {
      void this.act("PUT", "/api/admin/registration", { mode: this.mode.value });
    });
    this.code = h("output", { class: "invite-code" });
    const invite = h("button", { type: "button" }, "New registration code");
    invite.addEventListener("click", () => {
      void this.call<{ invite: { code: string } }>("POST", "/api/admin/invites", {}).then((r) => {
        if (r) this.code.textContent = r.invite.code;
      });
    });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "admin-page", "aria-labelledby": "admin-title" },
      h("div", { class: "dialog-head" }, h("h2", { id: "admin-title" }, "Server admin"), close),
      this.error,
      h("label", { for: "admin-registration" }, "Registration"),
      h("div", { class: "row" }, this.mode, invite, this.code),
      h("h3", { id: "admin-users-heading" }, "Accounts"),
      this.users,
      h("h3", { id: "admin-rooms-heading" }, "Rooms"),
      this.rooms,
      h("h3", { id: "admin-audit-heading" }, "Audit log"),
      this.audit,
    );
    // Shown to admins only: the server answers NOT_ADMIN to anyone else.
    void this.call<{ mode: string }>("GET", "/api/admin/registration", undefined, true).then(
      (r) => {
        if (r) this.button.hidden = false;
      },
    );
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    quiet = false,
  ): Promise<T | undefined> {
    const res = await fetch(this.server + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch(() => undefined);
    if (!res) return undefined;
    const text = await res.text();
    const value = text ? JSON.parse(text) : {};
    if (!res.ok) {
      if (!quiet) this.error.textContent = value.message ?? `Refused (${res.status}).`;
      return undefined;
    }
    return value as T;
  }

  private async act(method: string, path: string, body: unknown = {}): Promise<void> {
    this.error.textContent = "";
    await this.call(method, path, body);
    await this.render();
  }

  async open(): Promise<void> {
    this.error.textContent = "";
    this.root.showModal();
    await this.render();
  }

  private async render(): Promise<void> {
    const [users, rooms, mode, audit] = await Promise.all([
      this.call<{ users: Account[] }>("GET", "/api/admin/users"),
      this.call<{ rooms: AdminRoom[] }>("GET", "/api/admin/rooms"),
      this.call<{ mode: string }>("GET", "/api/admin/registration"),
      this.call<{ entries: AuditRow[] }>("GET", "/api/admin/audit"),
    ]);
    if (mode) this.mode.value = mode.mode;
    this.users.replaceChildren(
      ...(users?.users ?? []).map((u) => {
        const name = safeName(u.name);
        const path = `/api/admin/users/${encodeURIComponent(u.name)}`;
        const button = (label: string, action: string) => {
          const b = h("button", { type: "button", class: "text-button" }, label);
          b.setAttribute("aria-label", `${label} ${name}`);
          b.addEventListener("click", () => void this.act("POST", `${path}/${action}`));
          return b;
        };
        const flags = [u.admin ? "admin" : "", u.disabled ? "disabled" : ""].filter(Boolean);
        return h(
          "li",
          {},
          h("span", {}, `${name}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}`),
          u.admin ? button("Demote", "demote") : button("Promote", "promote"),
          u.disabled ? button("Enable", "enable") : button("Disable", "disable"),
        );
      }),
    );
    this.rooms.replaceChildren(...roomRows(rooms?.rooms ?? [], (m, p, b) => this.act(m, p, b)));
    this.audit.replaceChildren(
      ...(audit?.entries ?? [])
        .slice(0, 50)
        .map((e) =>
          h(
            "li",
            {},
            `${new Date(e.at).toLocaleString()} · ${safeName(e.actor.name)} ${e.action}${
              e.target ? ` ${safeName(e.target.name)}` : ""
            }${e.reason ? ` (${e.reason})` : ""}`,
          ),
        ),
    );
  }
}
