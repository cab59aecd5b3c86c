/**
 * Light and dark themes: the system's choice (prefers-color-scheme) until the user picks one
 * with the toggle, which is remembered in localStorage. The stylesheet reads `data-theme` on
 * <html>; without it, its own media query follows the system.
 */
export type ThemeName = "light" | "dark";

const KEY = "parley.theme";

export class Theme {
  private readonly listeners = new Set<(t: ThemeName) => void>();
  private readonly media = matchMedia("(prefers-color-scheme: dark)");

  constructor(private readonly storage: Storage = localStorage) {
    this.media.addEventListener("change", () => {
      if (!this.chosen()) this.apply();
    });
    this.apply();
  }

  /** The theme the user picked, if any. */
  chosen(): ThemeName | undefined {
    const v = this.storage.getItem(KEY);
    return v === "light" || v === "dark" ? v : undefined;
  }

  get current(): ThemeName {
    return this.chosen() ?? (this.media.matches ? "dark" : "light");
  }

  toggle(): void {
    this.storage.setItem(KEY, this.current === "dark" ? "light" : "dark");
    this.apply();
  }

  onChange(fn: (t: ThemeName) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private apply(): void {
    const t = this.current;
    document.documentElement.dataset.theme = t;
    for (const fn of this.listeners) fn(t);
  }
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
