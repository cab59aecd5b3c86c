/**
 * The safety number of a DM: 60 digits in twelve groups, the same on both people's screens
 * when each sees the other's real keys. Compared out of band; "Mark verified" records that
 * they matched, for exactly the keys the number was computed from.
 */
import { h } from "./dom.ts";
import type { Trust } from "./private-messages.ts";

export interface SafetyDialogHooks {
  safetyNumber(name: string): Promise<string | undefined>;
  trustOf(name: string): Trust | undefined;
  markVerified(name: string): Promise<"updated" | "stale" | "unknown-user">;
}

const TRUST_TEXT: Record<Trust, string> = {
  unverified: "Not verified yet: recorded the first time you wrote to each other.",
  verified: "Verified: you compared this number and it matched.",
  changed: "⚠ Their keys changed since you last accepted them.",
};

export class SafetyDialog {
  readonly root: HTMLDialogElement;
  private readonly title: HTMLHeadingElement;
  private readonly digits: HTMLElement;
  private readonly state: HTMLParagraphElement;
  private readonly result: HTMLParagraphElement;
  private readonly verify: HTMLButtonElement;
  private peer = "";

  constructor(private readonly hooks: SafetyDialogHooks) {
    this.title = h("h2", { id: "safety-title" }, "Safety number");
    this.digits = h("div", {
      class: "safety-number",
      role: "group",
      "aria-label": "Safety number",
    });
    this.state = h("p", { class: "safety-state" });
    this.result = h("p", { class: "safety-result", role: "status" });
    this.verify = h("button", { type: "button", class: "primary" }, "Mark verified");
    this.verify.addEventListener("click", () => void this.markVerified());
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog safety-dialog", "aria-labelledby": "safety-title" },
      h("div", { class: "dialog-head" }, this.title, close),
      h(
        "p",
        { class: "hint" },
        "Compare these digits with the other person, in person or over a channel you trust. If they match, nobody is reading along.",
      ),
      this.digits,
      this.state,
      this.result,
      this.verify,
    );
  }

  async open(peer: string): Promise<void> {
    this.peer = peer;
    this.title.textContent = `Safety number with ${peer}`;
    this.digits.textContent = "Loading…";
    this.say("");
    this.verify.disabled = true;
    this.root.showModal();
    let number: string | undefined;
    try {
      number = await this.hooks.safetyNumber(peer);
    } catch (err) {
      this.digits.textContent = "";
      this.say(err instanceof Error ? err.message : String(err), "problem");
      return;
    }
    if (number === undefined) {
      this.digits.textContent = "";
      this.say(`No keys known for ${peer} yet.`, "problem");
      return;
    }
    this.digits.replaceChildren(
      ...(number.match(/\d{1,5}/g) ?? []).map((g) => h("span", { class: "group" }, g)),
    );
    this.renderState();
  }

  private renderState(): void {
    const trust = this.hooks.trustOf(this.peer);
    this.state.textContent = trust ? TRUST_TEXT[trust] : "";
    this.state.classList.toggle("danger", trust === "changed");
    this.state.classList.toggle("verified", trust === "verified");
    // Once verified there is nothing to mark: the state says so instead of a dead button.
    this.verify.hidden = trust === "verified";
    this.verify.disabled = false;
  }

  /** A result line: good news in the success style, a problem in the danger style. */
  private say(text: string, tone: "ok" | "problem" = "ok"): void {
    this.result.textContent = text;
    this.result.dataset.tone = tone;
  }

  private async markVerified(): Promise<void> {
    const result = await this.hooks.markVerified(this.peer);
    if (result === "stale") {
      await this.open(this.peer);
      this.say("Their keys changed while this was open: compare the new number.", "problem");
      return;
    }
    if (result === "updated") this.say(`✓ ${this.peer} is verified.`);
    else this.say(`${this.peer} is not known here.`, "problem");
    this.renderState();
  }
}
