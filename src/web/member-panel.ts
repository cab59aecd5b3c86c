/**
 * The member panel of a room: who is in it, with presence and role, the moderation actions the
 * viewer's role allows (kick, ban, mute, op/deop, for members ranked below them), an invite
 * code for moderators, renaming and archiving for the owner (room-lifecycle.ts), and leaving
 * the room. The server checks every action again; a refusal's message is shown in the panel.
 */
import { safeName } from "../client-core/display-text.ts";
import type { ClientFrameOf, Member, RoomRole } from "../protocol/index.ts";
import { h } from "./dom.ts";
import { type AuditEntry, auditButton } from "./room-audit.ts";
import { lifecycleTools, type RoomLifecycleHooks } from "./room-lifecycle.ts";

type Action = ClientFrameOf<"moderate">["action"];

export interface MemberPanelHooks extends RoomLifecycleHooks {
  /** The room on screen (not a DM), or undefined. */
  room(): { id: number; name: string } | undefined;
  me(): number;
  members(room: number): Promise<Member[]>;
  moderate(room: number, action: Action, user: string, seconds?: number): Promise<void>;
  invite(room: number): Promise<string>;
  leave(room: number): Promise<void>;
  /** Moderators: the room's open reports (report-dialog.ts). */
  reports?(room: number): void;
  /** Owners: the room's audit log, newest first. */
  audit?(room: number): Promise<AuditEntry[]>;
}

const RANK: Record<RoomRole, number> = { owner: 3, moderator: 2, member: 1 };

/** The actions a viewer of `mine` role may take on a member of `theirs`, with their labels. */
export function allowedActions(mine: RoomRole, theirs: RoomRole): [Action, string, number?][] {
  if (RANK[mine] <= RANK[theirs] || mine === "member") return [];
  const actions: [Action, string, number?][] = [
    ["kick", "Kick"],
    ["mute", "Mute 1 h", 3600],
    ["ban", "Ban 1 day", 86_400],
    ["ban", "Ban"],
  ];
  if (mine === "owner") {
    actions.push(theirs === "moderator" ? ["deop", "Make member"] : ["op", "Make moderator"]);
  }
  return actions;
}

export class MemberPanel {
  readonly root: HTMLDialogElement;
  readonly button: HTMLButtonElement;
  private readonly list: HTMLUListElement;
  private readonly error: HTMLParagraphElement;
  private readonly title: HTMLHeadingElement;
  private readonly tools: HTMLDivElement;

  constructor(private readonly hooks: MemberPanelHooks) {
    this.button = h(
      "button",
      { type: "button", class: "text-button", "aria-haspopup": "dialog" },
      "Members",
    );
    this.button.addEventListener("click", () => void this.open());
    this.list = h("ul", { class: "member-list", "aria-labelledby": "member-panel-title" });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.title = h("h2", { id: "member-panel-title" }, "Members");
    this.tools = h("div", { class: "row" });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "member-panel", "aria-labelledby": "member-panel-title" },
      h("div", { class: "dialog-head" }, this.title, close),
      this.error,
      this.tools,
      this.list,
    );
  }

  async open(): Promise<void> {
    const room = this.hooks.room();
    if (!room) return;
    this.error.textContent = "";
    this.title.textContent = `Members of #${safeName(room.name)}`;
    this.root.showModal();
    await this.render(room.id);
  }

  /** After a rename: the title shows the new name, and the list is drawn again. */
  private async refresh(room: number): Promise<void> {
    const shown = this.hooks.room();
    if (shown) this.title.textContent = `Members of #${safeName(shown.name)}`;
    await this.render(room);
  }

  private async run(work: () => Promise<void>, room: number): Promise<void> {
    try {
      await work();
      await this.render(room);
    } catch (err) {
      this.error.textContent = err instanceof Error ? err.message : String(err);
    }
  }

  private async render(room: number): Promise<void> {
    let members: Member[];
    try {
      members = await this.hooks.members(room);
    } catch (err) {
      this.error.textContent = err instanceof Error ? err.message : String(err);
      return;
    }
    const mine = members.find((m) => m.id === this.hooks.me())?.role ?? "member";
    const leave = h("button", { type: "button" }, "Leave room");
    leave.addEventListener("click", () => {
      void this.hooks.leave(room).then(
        () => this.root.close(),
        (err: Error) => {
          this.error.textContent = err.message;
        },
      );
    });
    const tools: Node[] = [leave];
    if (mine !== "member") {
      const invite = h("button", { type: "button" }, "Invite code");
      const shown = h("output", { class: "invite-code" });
      invite.addEventListener("click", () => {
        void this.hooks.invite(room).then(
          (code) => {
            shown.textContent = code;
          },
          (err: Error) => {
            this.error.textContent = err.message;
          },
        );
      });
      tools.push(invite, shown);
      const reports = this.hooks.reports;
      if (reports) {
        const open = h("button", { type: "button" }, "Open reports");
        open.addEventListener("click", () => {
          this.root.close();
          reports(room);
        });
        tools.push(open);
      }
    }
    const fail = (message: string) => {
      this.error.textContent = message;
    };
    if (mine === "owner") {
      tools.push(...lifecycleTools(room, this.hooks, () => void this.refresh(room), fail));
      if (this.hooks.audit) tools.push(auditButton(room, this.hooks.audit, this.list, fail));
    }
    this.tools.replaceChildren(...tools);
    this.list.replaceChildren(
      ...members.map((m) => {
        const role = m.role && m.role !== "member" ? ` · ${m.role}` : "";
        const muted = m.mutedUntil !== undefined ? " · muted" : "";
        const buttons = allowedActions(mine, m.role ?? "member").map(([action, label, seconds]) => {
          const b = h("button", { type: "button", class: "text-button" }, label);
          b.setAttribute("aria-label", `${label} ${safeName(m.name)}`);
          b.addEventListener(
            "click",
            () => void this.run(() => this.hooks.moderate(room, action, m.name, seconds), room),
          );
          return b;
        });
        return h(
          "li",
          { class: "member", "data-status": m.status },
          h("span", {}, `${safeName(m.name)} (${m.status}${role}${muted})`),
          ...buttons,
        );
      }),
    );
  }
}
