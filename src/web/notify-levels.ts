/**
 * How loud each conversation is, chosen per room by the user and kept in localStorage:
 * - "all": a desktop notification for every message (while the tab is hidden);
 * - "mentions" (the default for rooms): notifications for @mentions only;
 * - "muted": no notifications, and the sidebar shows a dot instead of a count (left out of the
 *   title's count too).
 * DMs default to "all": each is a message to you.
 */
export type NotifyLevel = "all" | "mentions" | "muted";

export const NOTIFY_LEVELS: readonly NotifyLevel[] = ["all", "mentions", "muted"];

export class NotifyLevels {
  private readonly key: string;
  private readonly listeners = new Set<() => void>();

  constructor(
    user: number,
    private readonly storage: Storage = localStorage,
  ) {
    this.key = `parley.notify.${user}`;
  }

  of(room: number, isDm: boolean): NotifyLevel {
    const v = this.all()[String(room)];
    return v === "all" || v === "mentions" || v === "muted" ? v : isDm ? "all" : "mentions";
  }

  set(room: number, level: NotifyLevel): void {
    const all = this.all();
    all[String(room)] = level;
    try {
      this.storage.setItem(this.key, JSON.stringify(all));
    } catch {
      // Storage blocked: the choice holds until the page closes.
    }
    for (const fn of this.listeners) fn();
  }

  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  private all(): Record<string, unknown> {
    try {
      const raw = JSON.parse(this.storage.getItem(this.key) ?? "{}") as unknown;
      return typeof raw === "object" && raw !== null && !Array.isArray(raw)
        ? (raw as Record<string, unknown>)
        : {};
    } catch {
      return {};
    }
  }
}
