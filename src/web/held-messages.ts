/**
 * DMs held until a key change is accepted, kept in localStorage per user, so closing the tab
 * does not lose them: the next start queues them again under their first cid (the server
 * stores a cid once, so two tabs restoring the same message still send it once). Only the
 * user's own unsent text is kept, on their own device, and removed once it is delivered.
 */

export interface HeldMessage {
  room: number;
  cid: string;
  body: string;
  ts: number;
}

/** Kept at most; the oldest go first past it. */
const HELD_MAX = 200;

export class HeldMessages {
  private readonly key: string;

  constructor(
    user: number,
    private readonly storage: Storage = localStorage,
  ) {
    this.key = `parley.held.${user}`;
  }

  list(): HeldMessage[] {
    try {
      const raw = JSON.parse(this.storage.getItem(this.key) ?? "[]") as unknown;
      return Array.isArray(raw) ? raw.filter(isHeld) : [];
    } catch {
      return [];
    }
  }

  keep(m: HeldMessage): void {
    const all = this.list().filter((x) => x.cid !== m.cid);
    all.push(m);
    this.write(all.slice(-HELD_MAX));
  }

  drop(cid: string): void {
    const all = this.list();
    if (all.some((x) => x.cid === cid)) this.write(all.filter((x) => x.cid !== cid));
  }

  private write(all: HeldMessage[]): void {
    try {
      if (all.length === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(all));
    } catch {
      // Storage full or blocked: the message still waits in this tab.
    }
  }
}

function isHeld(x: unknown): x is HeldMessage {
  const m = x as Partial<HeldMessage> | null;
  return (
    typeof m?.room === "number" &&
    typeof m.cid === "string" &&
    typeof m.body === "string" &&
    typeof m.ts === "number"
  );
}
