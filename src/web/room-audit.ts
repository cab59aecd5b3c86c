/**
 * A room's audit log for its owner, in the member panel: who did what to whom, when and why,
 * newest first, shown in the panel's list in place of the members until it is opened again.
 */
import { safeName } from "../client-core/display-text.ts";
import type { ServerFrameOf } from "../protocol/index.ts";
import { h } from "./dom.ts";

/** One row of the audit log, as the `audit` frame carries it. */
export type AuditEntry = ServerFrameOf<"audit">["entries"][number];

export function auditButton(
  room: number,
  read: (room: number) => Promise<AuditEntry[]>,
  list: HTMLElement,
  fail: (message: string) => void,
): HTMLButtonElement {
  const button = h("button", { type: "button" }, "Audit log");
  button.addEventListener("click", () => {
    read(room).then(
      (entries) => {
        list.replaceChildren(
          ...(entries.length === 0
            ? [h("li", { class: "audit-entry" }, "Nothing in this room's audit log yet.")]
            : entries.slice(0, 100).map((e) => h("li", { class: "audit-entry" }, entryText(e)))),
        );
      },
      (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
    );
  });
  return button;
}

function entryText(e: AuditEntry): string {
  const when = new Date(e.at).toLocaleString();
  const target = e.target ? ` ${safeName(e.target.name)}` : "";
  const why = e.reason ? ` (${e.reason})` : "";
  return `${when} · ${safeName(e.actor.name)} ${e.action}${target}${why}`;
}
