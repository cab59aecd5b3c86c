/**
 * The strip that says the connection is down, from the connection layer's status events:
 * "Reconnecting… next try in 4 s" while away, "Back online" for a moment once caught up.
 */
import type { Status } from "../client-core/connection.ts";
import { h } from "./dom.ts";

const BACK_ONLINE_SHOWN_MS = 2_500;

export class ConnectionBanner {
  readonly root: HTMLElement;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.root = h("div", {
      class: "banner",
      role: "status",
      "aria-live": "polite",
      hidden: true,
    });
  }

  update(s: Status): void {
    clearTimeout(this.hideTimer);
    switch (s.kind) {
      case "connecting":
        this.show("connecting", "Connecting…");
        break;
      case "connected":
        this.hide();
        break;
      case "reconnecting": {
        const secs = Math.max(1, Math.round(s.delayMs / 1000));
        this.show(
          "reconnecting",
          `Reconnecting: ${s.reason}. Next try in ${secs} s (attempt ${s.attempt}). Messages you send will go once it is back.`,
        );
        break;
      }
      case "back-online":
        this.show(
          "online",
          s.caughtUp > 0
            ? `Back online: ${s.caughtUp} new message${s.caughtUp === 1 ? "" : "s"} caught up.`
            : "Back online.",
        );
        this.hideTimer = setTimeout(() => this.hide(), BACK_ONLINE_SHOWN_MS);
        break;
      case "stopped":
        this.show("stopped", s.message);
        break;
    }
  }

  private show(kind: string, text: string): void {
    this.root.dataset.kind = kind;
    this.root.textContent = text;
    this.root.hidden = false;
  }

  private hide(): void {
    this.root.hidden = true;
    this.root.textContent = "";
  }
}
