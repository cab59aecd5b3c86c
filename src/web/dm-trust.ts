/**
 * Trust in the keys of DMs, as the chat shows it: the header's safety-number button and its
 * dialog, the alert above the composer when keys changed, the notices a key change leaves in
 * each DM it concerns, and accepting new keys (which sends what waited for them). In a group,
 * the alert names the member whose changed keys its held messages wait for.
 */
import { keyChangeNotice } from "../client-core/key-change-text.ts";
import type { KeyChange } from "../client-core/secure-dm.ts";
import type { UserRef } from "../protocol/index.ts";
import type { Conversation, Item } from "./conversation.ts";
import type { Conversations } from "./conversations.ts";
import { h } from "./dom.ts";
import { KeyAlert } from "./key-alert.ts";
import type { PrivateMessages } from "./private-messages.ts";
import { SafetyDialog } from "./safety-dialog.ts";

export interface DmTrustHooks {
  /** A notice for a conversation: shown at once if it is on screen. */
  notice(c: Conversation, item: Item): void;
  /** Pending messages changed state (held ones go again): redraw them. */
  pendingChanged(): void;
  /** The verified state of a DM changed: redraw its header. */
  headerChanged(): void;
}

export class DmTrust {
  readonly button: HTMLButtonElement;
  readonly alert: KeyAlert;
  readonly dialog: SafetyDialog;

  constructor(
    private readonly dms: PrivateMessages,
    private readonly conversations: Conversations,
    private readonly me: UserRef,
    private readonly hooks: DmTrustHooks,
  ) {
    this.dialog = new SafetyDialog({
      safetyNumber: (name) => this.dms.safetyNumber(name),
      trustOf: (name) => this.dms.trustOf(name),
      markVerified: async (name) => {
        const result = await this.dms.markVerified(name);
        this.afterTrust();
        return result;
      },
    });
    const compare = () => {
      const c = this.conversations.shown;
      const who = c?.isGroup ? this.dms.heldIn(c.id)?.name : c?.isDm ? c.summary.name : undefined;
      if (who) void this.dialog.open(who);
    };
    this.alert = new KeyAlert({ compare, accept: () => void this.accept() });
    dms.onHeld(() => {
      const c = this.conversations.shown;
      if (c?.isGroup) this.render(c);
    });
    this.button = h(
      "button",
      { type: "button", class: "text-button safety-button", hidden: true },
      "Safety number",
    );
    this.button.addEventListener("click", compare);
  }

  /** True when the DM's peer is marked verified (shown in its header). */
  verified(c: Conversation): boolean {
    return c.isDm && this.dms.trustOf(c.summary.name) === "verified";
  }

  /** The button and the alert for the conversation on screen (hidden unless it is a DM). */
  render(c: Conversation): void {
    this.button.hidden = !c.isDm;
    this.button.setAttribute("aria-label", `Safety number with ${c.summary.name}`);
    const waiting = c.isGroup ? this.dms.heldIn(c.id) : undefined;
    if (waiting) this.alert.show("peer", waiting.name);
    else this.alert.show(c.isDm ? this.dms.changedFor(c.summary.name) : undefined, c.summary.name);
  }

  /** Announced in every DM it concerns: loudly when it waits for the user's acceptance. */
  keysChanged(k: KeyChange): void {
    const { text, loud } = keyChangeNotice(k);
    for (const c of this.conversations.concernedBy(k)) {
      this.hooks.notice(c, c.notice(Date.now(), text, loud));
      if (this.conversations.current === c.id) this.render(c);
    }
    this.hooks.headerChanged();
  }

  /** The confirm step for a key change: accepting sends what waited for it. */
  private async accept(): Promise<void> {
    const c = this.conversations.shown;
    const waiting = c?.isGroup ? this.dms.heldIn(c.id) : undefined;
    const change = c?.isDm ? this.dms.changedFor(c.summary.name) : waiting && "peer";
    if (!c || !change) return;
    const peer = waiting?.name ?? c.summary.name;
    const result = await this.dms.trust(change === "self" ? this.me.name : peer);
    if (result === "stale") {
      this.hooks.notice(
        c,
        c.notice(Date.now(), "The keys changed again meanwhile: look at them once more.", true),
      );
    }
    this.afterTrust();
  }

  /** Messages held for keys that are accepted now go again: shown as sending. */
  afterTrust(): void {
    const held = this.dms.heldCids();
    for (const c of this.conversations.values()) {
      // A group's sends wait on any member's keys: those let go are no longer held.
      if (c.isGroup) for (const p of c.pending) p.held = p.held && held.has(p.cid);
      if (!c.isDm || this.dms.changedFor(c.summary.name)) continue;
      for (const p of c.pending) p.held = false;
    }
    const c = this.conversations.shown;
    if (c) this.render(c);
    this.hooks.pendingChanged();
    this.hooks.headerChanged();
  }
}
