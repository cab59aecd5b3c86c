/**
 * The row of a message typed here and not stored yet: sending, uploading, held for a key
 * change, or refused for good with "Retry" and "Dismiss" under it.
 */
import { bubbleRow } from "./bubble.ts";
import type { Pending } from "./conversation.ts";
import { h } from "./dom.ts";
import type { FileFacts } from "./file-view.ts";

export interface PendingRowOptions {
  me: { id: number; name: string };
  fileView?: ((file: FileFacts) => Node) | undefined;
  /** Send a failed message again, or drop it. */
  retry?: ((p: Pending) => void) | undefined;
  dismiss?: ((p: Pending) => void) | undefined;
}

export function pendingRow(p: Pending, o: PendingRowOptions): HTMLLIElement {
  const row = bubbleRow(
    { from: o.me, ts: p.ts, body: p.body, cid: p.cid, file: p.file },
    {
      me: o.me,
      grouped: false,
      held: p.held,
      state: p.state,
      fileView: o.fileView,
      ...(p.error ? { error: p.error } : {}),
    },
  );
  if (p.state === "failed") row.querySelector(".bubble")?.append(failedActions(p, o));
  return row;
}

/** "Retry" and "Dismiss" under a message that was refused or failed to upload. */
function failedActions(p: Pending, o: PendingRowOptions): HTMLElement {
  const what = p.file ? p.file.name : "message";
  const row = h("span", { class: "failed-actions" });
  // A file can go again only while its bytes are at hand (not for one refused as too large).
  if (o.retry && (!p.file || p.source)) {
    const retry = h(
      "button",
      { type: "button", class: "text-button", "aria-label": `Retry sending ${what}` },
      "Retry",
    );
    retry.addEventListener("click", () => o.retry?.(p));
    row.append(retry);
  }
  if (o.dismiss) {
    const dismiss = h(
      "button",
      { type: "button", class: "text-button", "aria-label": `Dismiss ${what}` },
      "Dismiss",
    );
    dismiss.addEventListener("click", () => o.dismiss?.(p));
    row.append(dismiss);
  }
  return row;
}
