/**
 * The appearance the user chose (src/protocol/settings.ts), applied to the page: the theme as
 * `data-theme` on <html> (the stylesheet holds one block of design-token values per theme),
 * text size, density and motion as data attributes, the accent and an imported theme's tokens
 * as inline custom properties, and the clock in time-format.ts. Kept in local storage, so the
 * page opens as the user left it even offline; settings-sync.ts keeps it on the server.
 */
import {
  COLOUR_TOKENS,
  type ColourToken,
  DEFAULT_SETTINGS,
  type Settings,
  settingsFrom,
  type ThemeFile,
} from "../protocol/settings.ts";
import { setClock, timeOfDay } from "./time-format.ts";

/** The theme in effect: "system" resolved, a custom theme shown as its base. */
export type ThemeName = "light" | "dark" | "high-contrast";

const KEY = "parley.settings";
/** Where the light/dark toggle kept its choice before there were settings. */
const LEGACY_KEY = "parley.theme";

/** Who made a change: the user (to be saved) or the server (already saved). */
export type ChangeOrigin = "user" | "server";

export class Theme {
  private readonly listeners = new Set<(t: ThemeName) => void>();
  private readonly settingsListeners = new Set<(s: Settings, origin: ChangeOrigin) => void>();
  private readonly dark = matchMedia("(prefers-color-scheme: dark)");
  private readonly reduce = matchMedia("(prefers-reduced-motion: reduce)");
  private current_: Settings;

  constructor(private readonly storage: Storage = localStorage) {
    this.current_ = this.load();
    const follow = () => this.apply();
    this.dark.addEventListener("change", follow);
    this.reduce.addEventListener("change", follow);
    this.apply();
  }

  get settings(): Settings {
    return this.current_;
  }

  get current(): ThemeName {
    const t = this.current_.theme;
    if (t === "custom") return this.current_.custom?.base ?? "light";
    if (t === "system") return this.dark.matches ? "dark" : "light";
    return t;
  }

  /** The user changes some settings: applied at once, kept locally, then saved by the sync. */
  update(patch: Partial<Settings>, origin: ChangeOrigin = "user"): void {
    this.current_ = settingsFrom({ ...this.current_, ...patch });
    this.storage.setItem(KEY, JSON.stringify(this.current_));
    this.apply();
    for (const fn of this.settingsListeners) fn(this.current_, origin);
  }

  /** The quick toggle beside the name: light ⇄ dark (high contrast goes to light). */
  toggle(): void {
    this.update({ theme: this.current === "dark" ? "light" : "dark" });
  }

  onChange(fn: (t: ThemeName) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onSettings(fn: (s: Settings, origin: ChangeOrigin) => void): () => void {
    this.settingsListeners.add(fn);
    return () => this.settingsListeners.delete(fn);
  }

  /** The theme on screen as a file: its base and the value of every colour token. */
  exportTheme(name = "My theme"): ThemeFile {
    const style = getComputedStyle(document.documentElement);
    const tokens: Partial<Record<ColourToken, string>> = {};
    for (const t of COLOUR_TOKENS) {
      const v = style.getPropertyValue(`--${t}`).trim().toLowerCase();
      if (/^#[0-9a-f]{6}$/.test(v)) tokens[t] = v;
    }
    return { parley: "theme", version: 1, name, base: this.current, tokens };
  }

  private load(): Settings {
    const saved = this.storage.getItem(KEY);
    if (saved) {
      try {
        return settingsFrom(JSON.parse(saved));
      } catch {
        // A damaged entry: start from the defaults.
      }
    }
    const legacy = this.storage.getItem(LEGACY_KEY);
    return legacy === "light" || legacy === "dark"
      ? { ...DEFAULT_SETTINGS, theme: legacy }
      : { ...DEFAULT_SETTINGS };
  }

  private apply(): void {
    const s = this.current_;
    const root = document.documentElement;
    const t = this.current;
    root.dataset.theme = t;
    root.dataset.textSize = s.textSize;
    root.dataset.density = s.density;
    root.dataset.motion =
      s.motion === "system" ? (this.reduce.matches ? "reduce" : "full") : s.motion;
    for (const token of COLOUR_TOKENS) root.style.removeProperty(`--${token}`);
    if (s.theme === "custom" && s.custom)
      for (const [token, value] of Object.entries(s.custom.tokens))
        root.style.setProperty(`--${token}`, value);
    if (s.accent) {
      const ink = readableInk(s.accent);
      root.style.setProperty("--accent", s.accent);
      root.style.setProperty("--accent-text", ink);
      root.style.setProperty("--own", s.accent);
      root.style.setProperty("--own-text", ink);
    }
    setClock(s.clock);
    // Times already on screen follow the new clock at once.
    for (const el of document.querySelectorAll<HTMLTimeElement>("time[datetime]")) {
      const ms = Date.parse(el.dateTime);
      if (Number.isFinite(ms)) el.textContent = timeOfDay(ms);
    }
    for (const fn of this.listeners) fn(t);
  }
}

/** Relative luminance of #rrggbb (WCAG 2). */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** Black or white, whichever reads better on the colour. */
function readableInk(background: string): string {
  const l = luminance(background);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#ffffff" : "#000000";
}

/** A button that flips the theme and says which one it switches to. */
export function themeToggle(theme: Theme): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button theme-toggle";
  const sync = (t: ThemeName) => {
    const next = t === "dark" ? "light" : "dark";
    button.setAttribute("aria-label", `Switch to ${next} theme`);
    button.title = `Switch to ${next} theme`;
    button.textContent = t === "dark" ? "☀" : "☾";
  };
  sync(theme.current);
  theme.onChange(sync);
  button.addEventListener("click", () => theme.toggle());
  return button;
}
