/**
 * The user's invitations by name in the browser: a button that counts them and a dialog that
 * lists them, each with Accept (joins the room and shows it) and Decline. Fed by the live
 * `invited` push and by `user_invites` when opened, so a reconnect loses none.
 */
import type { Connection } from "../client-core/connection.ts";
import { safeName } from "../client-core/display-text.ts";
import type { RoomSummary, ServerFrameOf } from "../protocol/index.ts";
import { h } from "./dom.ts";

type UserInvite = ServerFrameOf<"invited">["invite"];

export class InvitationsPanel {
  readonly root: HTMLDialogElement;
  readonly button: HTMLButtonElement;
  private readonly list: HTMLUListElement;
  private readonly error: HTMLParagraphElement;
  private invites: UserInvite[] = [];

  constructor(
    private readonly conn: Connection,
    private readonly joined: (room: RoomSummary) => unknown,
  ) {
    this.button = h(
      "button",
      { type: "button", class: "text-button", "aria-haspopup": "dialog" },
      "Invitations",
    );
    this.button.addEventListener("click", () => void this.open());
    this.list = h("ul", { class: "invitation-list", "aria-labelledby": "invitations-title" });
    this.error = h("p", { class: "form-error", role: "alert" });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "invitations-panel", "aria-labelledby": "invitations-title" },
      h(
        "div",
        { class: "dialog-head" },
        h("h2", { id: "invitations-title" }, "Invitations"),
        close,
      ),
      this.error,
      this.list,
    );
    conn.on("push", (f) => {
      if (f.type !== "invited") return;
      this.invites = [f.invite, ...this.invites.filter((i) => i.room !== f.invite.room)];
      this.draw();
    });
    conn.on("status", (s) => {
      if (s.kind === "connected") void this.refresh();
    });
  }

  async open(): Promise<void> {
    this.error.textContent = "";
    this.root.showModal();
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    try {
      this.invites = (await this.conn.request<"user_invites">({ type: "user_invites" })).invites;
    } catch (err) {
      this.error.textContent = err instanceof Error ? err.message : String(err);
    }
    this.draw();
  }

  private async answer(i: UserInvite, accept: boolean): Promise<void> {
    try {
      if (accept) {
        const reply = await this.conn.request<"joined">({
          type: "invite_answer",
          room: i.room,
          accept,
        });
        this.joined(reply.room);
      } else {
        await this.conn.request<"ok">({ type: "invite_answer", room: i.room, accept });
      }
    } catch (err) {
      this.error.textContent = err instanceof Error ? err.message : String(err);
    }
    this.invites = this.invites.filter((x) => x.room !== i.room);
    this.draw();
  }

  private draw(): void {
    const n = this.invites.length;
    this.button.textContent = n === 0 ? "Invitations" : `Invitations (${n})`;
    this.list.replaceChildren(
      ...(n === 0
        ? [h("li", {}, "No invitations.")]
        : this.invites.map((i) => {
            const name = safeName(i.name);
            const yes = h("button", { type: "button", "aria-label": `Accept #${name}` }, "Accept");
            yes.addEventListener("click", () => void this.answer(i, true));
            const no = h("button", { type: "button", "aria-label": `Decline #${name}` }, "Decline");
            no.addEventListener("click", () => void this.answer(i, false));
            const by = i.by ? ` from ${safeName(i.by.name)}` : "";
            return h("li", { class: "invitation" }, h("span", {}, `#${name}${by}`), yes, no);
          })),
    );
  }
}
