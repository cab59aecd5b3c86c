/**
 * The loud notice above the composer of a DM whose keys changed (the other person's, or a new
 * device on one's own account): what changed, that messages wait, and the two ways on: compare
 * safety numbers, or accept the new keys, which sends what waited.
 */
import { keyAlertText } from "../client-core/key-change-text.ts";
import { h } from "./dom.ts";

export interface KeyAlertHooks {
  compare(): void;
  accept(): void;
}

export class KeyAlert {
  readonly root: HTMLElement;
  private readonly text: HTMLParagraphElement;

  constructor(hooks: KeyAlertHooks) {
    this.text = h("p", {});
    const compare = h("button", { type: "button", class: "text-button" }, "Compare safety numbers");
    compare.addEventListener("click", () => hooks.compare());
    const accept = h("button", { type: "button", class: "primary danger" }, "Accept new keys");
    accept.addEventListener("click", () => hooks.accept());
    this.root = h(
      "section",
      { class: "key-alert", role: "alert", "aria-label": "Keys changed", hidden: true },
      this.text,
      h("div", { class: "row" }, compare, accept),
    );
  }

  /** Shows the alert for a change of `who` ("peer" or "self"), or hides it. */
  show(change: "peer" | "self" | undefined, peer: string): void {
    this.root.hidden = change === undefined;
    if (change) this.text.textContent = keyAlertText(change, peer);
  }
}
