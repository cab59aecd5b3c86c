/**
 * Reports in the browser: "Report" on someone's message asks for a reason and sends it to the
 * room's moderators; moderators open the room's open reports from the member panel and resolve
 * each, saying what was done. One dialog serves both; the server checks every right.
 */
import { safeName } from "../client-core/display-text.ts";
import { ReportsApi, type ReportView } from "../client-core/reports-api.ts";
import type { Message } from "../protocol/index.ts";
import type { Conversations } from "./conversations.ts";
import { h } from "./dom.ts";

export class ReportDialog {
  readonly root: HTMLDialogElement;
  private readonly title: HTMLHeadingElement;
  private readonly body: HTMLDivElement;
  private readonly error: HTMLParagraphElement;
  private readonly api: ReportsApi;

  constructor(
    server: () => string,
    token: string,
    private readonly conversations: Conversations,
  ) {
    this.api = new ReportsApi({ server, token });
    this.title = h("h2", { id: "report-dialog-title" }, "Report");
    this.body = h("div", { class: "report-body" });
    this.error = h("p", { class: "form-error", role: "alert" });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "report-dialog", "aria-labelledby": "report-dialog-title" },
      h("div", { class: "dialog-head" }, this.title, close),
      this.error,
      this.body,
    );
  }

  private fail(err: unknown): void {
    this.error.textContent = err instanceof Error ? err.message : String(err);
  }

  /** Asks why, then reports the message to the room's moderators. */
  report(m: Message): void {
    this.error.textContent = "";
    this.title.textContent = `Report ${safeName(m.from.name)}'s message`;
    const reason = h("textarea", {
      id: "report-reason",
      name: "reason",
      maxlength: "500",
      required: true,
      rows: "3",
    });
    const send = h("button", { type: "submit" }, "Send report");
    const form = h(
      "form",
      { class: "report-form" },
      h("p", { class: "hint" }, excerpt(m.body)),
      h("label", { for: "report-reason" }, "Why are you reporting it?"),
      reason,
      h("div", { class: "row" }, send),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const why = reason.value.trim();
      if (!why) return this.fail("Say why you report it.");
      send.disabled = true;
      this.api.report(m.room, m.seq, why).then(
        () => {
          this.body.replaceChildren(
            h("p", { role: "status" }, "Reported. The room's moderators will look at it."),
          );
        },
        (err) => {
          send.disabled = false;
          this.fail(err);
        },
      );
    });
    this.body.replaceChildren(form);
    this.root.showModal();
    reason.focus();
  }

  /** The room's open reports, for its moderators: each resolved with what was done. */
  async open(room: number): Promise<void> {
    this.error.textContent = "";
    const c = this.conversations.get(room);
    this.title.textContent = `Open reports${c ? ` in ${c.label}` : ""}`;
    this.body.replaceChildren();
    if (!this.root.open) this.root.showModal();
    let reports: ReportView[];
    try {
      reports = await this.api.list(room);
    } catch (err) {
      return this.fail(err);
    }
    if (reports.length === 0) {
      this.body.replaceChildren(h("p", { class: "hint" }, "No open reports."));
      return;
    }
    this.body.replaceChildren(
      h("ul", { class: "report-list" }, ...reports.map((r) => this.row(room, r))),
    );
  }

  private row(room: number, r: ReportView): HTMLLIElement {
    const item = this.conversations
      .get(room)
      ?.items.find((i) => i.kind === "message" && i.message.seq === r.seq);
    const m = item?.kind === "message" ? item.message : undefined;
    const what = m ? `${safeName(m.from.name)}: “${excerpt(m.body)}”` : `Message ${r.seq}`;
    const by = r.reporter ? ` (reported by ${safeName(r.reporter.name)})` : "";
    const outcome = h("input", {
      type: "text",
      maxlength: "500",
      "aria-label": `What was done about report ${r.id}`,
      placeholder: "What was done",
    });
    const resolve = h("button", { type: "button", class: "text-button" }, "Resolve");
    resolve.setAttribute("aria-label", `Resolve report ${r.id}`);
    resolve.addEventListener("click", () => {
      const done = outcome.value.trim();
      if (!done) return this.fail("Say what was done first.");
      this.api.resolve(room, r.id, done).then(
        () => void this.open(room),
        (err) => this.fail(err),
      );
    });
    return h(
      "li",
      { class: "report" },
      h("p", {}, what),
      h("p", { class: "hint" }, `${r.reason}${by}`),
      h("div", { class: "row" }, outcome, resolve),
    );
  }
}

function excerpt(body: string): string {
  return body.length > 140 ? `${body.slice(0, 140)}…` : body;
}
