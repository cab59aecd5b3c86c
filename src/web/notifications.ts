/**
 * Desktop notifications (the Notification API) for DMs and @mentions that arrive while the tab
 * is hidden. Off until the user turns them on with the bell in the sidebar (a click, so the
 * permission prompt comes from a gesture); the choice is kept in localStorage. Never spammy:
 * one per conversation per quiet period, each replacing the last (same tag), all closed once
 * the tab is visible again. A DM's text never goes to the desktop, only who sent it.
 */
import type { Message, UserRef } from "../protocol/index.ts";
import { mentions } from "./bubble.ts";
import { h } from "./dom.ts";
import type { NotifyLevel } from "./notify-levels.ts";

const STORAGE_KEY = "parley.notifications";
/** After a notification, the same conversation stays quiet this long. */
export const QUIET_MS = 15_000;
const BODY_MAX = 140;

export interface NotifyContext {
  me: UserRef;
  /** The message is newer than what the conversation had: not a replay on join or resume. */
  live: boolean;
  isDm: boolean;
  /** "#general", or the DM peer's name. */
  label: string;
  hidden: boolean;
  enabled: boolean;
  now: number;
  /** When this conversation last notified, if it did. */
  lastShown: number | undefined;
  /** The conversation's level (notify-levels.ts). @default "mentions" in rooms, "all" in DMs */
  level?: NotifyLevel;
}

export interface Notice {
  title: string;
  body: string;
  tag: string;
}

/** Whether a message deserves a notification, and what it says: the rules, without the API. */
export function noticeFor(m: Message, o: NotifyContext): Notice | undefined {
  if (!o.enabled || !o.hidden || !o.live || m.from.id === o.me.id) return undefined;
  const level = o.level ?? (o.isDm ? "all" : "mentions");
  if (level === "muted") return undefined;
  if (o.lastShown !== undefined && o.now - o.lastShown < QUIET_MS) return undefined;
  const tag = `parley-room-${m.room}`;
  if (o.isDm) {
    // A DM file's `file` comes from its sealed descriptor: say so, and nothing of the file.
    const body = m.file ? "shared a file with you" : "sent you a private message";
    return { title: m.from.name, body, tag };
  }
  if (level !== "all" && !mentions(m.body, o.me.name)) return undefined;
  const body = m.body.length > BODY_MAX ? `${m.body.slice(0, BODY_MAX - 1)}…` : m.body;
  return { title: `${m.from.name} in ${o.label}`, body, tag };
}

export interface NotifierHooks {
  /** Shows the conversation a clicked notification is about. */
  open(room: number): void;
}

export class Notifier {
  /** The settings toggle for the sidebar. */
  readonly toggle: HTMLButtonElement;
  private enabled: boolean;
  private readonly lastShown = new Map<number, number>();
  private readonly open = new Set<Notification>();
  private readonly onVisible = () => {
    if (document.visibilityState === "visible") this.clear();
  };

  constructor(private readonly hooks: NotifierHooks) {
    this.enabled = supported() && Notification.permission === "granted" && stored() === "on";
    this.toggle = h("button", { type: "button", class: "icon-button notify-toggle" });
    this.toggle.append(bell());
    this.toggle.addEventListener("click", () => void this.flip());
    this.render();
    document.addEventListener("visibilitychange", this.onVisible);
  }

  /** A message just received in a conversation (before its head moves past it). */
  incoming(
    m: Message,
    c: { id: number; isDm: boolean; label: string; head: number; level: NotifyLevel },
    me: UserRef,
  ) {
    const notice = noticeFor(m, {
      me,
      live: m.seq > c.head,
      isDm: c.isDm,
      label: c.label,
      hidden: document.visibilityState === "hidden",
      enabled: this.enabled && supported() && Notification.permission === "granted",
      now: Date.now(),
      lastShown: this.lastShown.get(c.id),
      level: c.level,
    });
    if (!notice) return;
    this.lastShown.set(c.id, Date.now());
    let n: Notification;
    try {
      n = new Notification(notice.title, { body: notice.body, tag: notice.tag });
    } catch {
      return; // Some browsers allow notifications only from a service worker.
    }
    this.open.add(n);
    n.onclick = () => {
      window.focus();
      this.hooks.open(c.id);
      n.close();
    };
    n.onclose = () => this.open.delete(n);
  }

  /** Closes what is still on the desktop: the reader is here now. */
  clear(): void {
    for (const n of this.open) n.close();
    this.open.clear();
  }

  close(): void {
    this.clear();
    document.removeEventListener("visibilitychange", this.onVisible);
  }

  private async flip(): Promise<void> {
    if (!supported()) return;
    if (this.enabled) {
      this.enabled = false;
    } else {
      const permission =
        Notification.permission === "default"
          ? await Notification.requestPermission()
          : Notification.permission;
      this.enabled = permission === "granted";
    }
    localStorage.setItem(STORAGE_KEY, this.enabled ? "on" : "off");
    this.render();
  }

  private render(): void {
    const state = !supported()
      ? "Desktop notifications are not available in this browser"
      : Notification.permission === "denied"
        ? "Desktop notifications are blocked in this browser's site settings"
        : this.enabled
          ? "Desktop notifications for DMs and mentions are on"
          : "Desktop notifications are off";
    this.toggle.setAttribute("aria-label", "Desktop notifications");
    this.toggle.setAttribute("aria-pressed", String(this.enabled));
    this.toggle.title = state;
    this.toggle.disabled = !supported() || Notification.permission === "denied";
  }
}

function supported(): boolean {
  return typeof Notification !== "undefined";
}

function stored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** A bell drawn as SVG: emoji fonts are not everywhere. */
export function bell(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({
    viewBox: "0 0 24 24",
    width: "18",
    height: "18",
    "aria-hidden": "true",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
  })) {
    svg.setAttribute(k, v);
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M6 16V11a6 6 0 0 1 12 0v5l2 2H4l2-2zM10 21a2 2 0 0 0 4 0");
  svg.append(path);
  return svg;
}
