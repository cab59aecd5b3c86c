/**
 * The browser's saved session: the token and who it belongs to, in localStorage, so a reload
 * does not ask for the password again. localStorage is readable by any script on this origin;
 * the page runs only its own bundled code and renders every message as text, which is what
 * keeps it safe. (An HttpOnly cookie session would need server support.)
 */
import type { UserRef } from "../protocol/index.ts";

const KEY = "parley.session";

export interface SavedSession {
  token: string;
  user: UserRef;
}

export function loadSession(storage: Storage = localStorage): SavedSession | undefined {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Partial<SavedSession>;
    if (typeof s.token !== "string" || typeof s.user?.id !== "number") return undefined;
    if (typeof s.user.name !== "string") return undefined;
    return { token: s.token, user: { id: s.user.id, name: s.user.name } };
  } catch {
    return undefined;
  }
}

export function saveSession(s: SavedSession, storage: Storage = localStorage): void {
  storage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(storage: Storage = localStorage): void {
  storage.removeItem(KEY);
}
