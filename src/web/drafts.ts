/**
 * What the user had typed in each conversation and not sent, kept in localStorage per user, so
 * switching rooms or reloading the page loses nothing. Sending (or clearing the box) drops it.
 */

/** Kept per draft at most (the server's own limit is lower); longer text is not kept. */
const DRAFT_MAX_CHARS = 20_000;
const DRAFTS_MAX = 200;

export class Drafts {
  private readonly key: string;

  constructor(
    user: number,
    private readonly storage: Storage = localStorage,
  ) {
    this.key = `parley.drafts.${user}`;
  }

  get(room: number): string {
    return this.all()[String(room)] ?? "";
  }

  set(room: number, text: string): void {
    const all = this.all();
    if (text.trim() === "" || text.length > DRAFT_MAX_CHARS) delete all[String(room)];
    else all[String(room)] = text;
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - DRAFTS_MAX))) delete all[k];
    try {
      if (Object.keys(all).length === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(all));
    } catch {
      // Storage full or blocked: the draft stays in the box until the page closes.
    }
  }

  private all(): Record<string, string> {
    try {
      const raw = JSON.parse(this.storage.getItem(this.key) ?? "{}") as unknown;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return {};
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) if (typeof v === "string") out[k] = v;
      return out;
    } catch {
      return {};
    }
  }
}
