/**
 * "Appearance": a native <dialog> (focus trapped, Escape closes) with the theme, accent colour,
 * text size, density, clock and motion. Each choice applies the moment it is made (theme.ts)
 * and is saved (settings-sync.ts). A theme can be exported to and imported from a small JSON
 * file, validated before use. Opened by its button in the sidebar or Ctrl-, (Cmd-, on a Mac).
 */
import { type Settings, themeFileSchema } from "../protocol/settings.ts";
import { h } from "./dom.ts";
import type { Theme } from "./theme.ts";

type Choice<K extends keyof Settings> = readonly [Settings[K], string];

const THEMES: Choice<"theme">[] = [
  ["system", "System"],
  ["light", "Light"],
  ["dark", "Dark"],
  ["high-contrast", "High contrast"],
  ["custom", "Imported"],
];
const SIZES: Choice<"textSize">[] = [
  ["small", "Small"],
  ["medium", "Medium"],
  ["large", "Large"],
  ["larger", "Larger"],
  ["largest", "Largest"],
];
const DENSITIES: Choice<"density">[] = [
  ["comfortable", "Comfortable"],
  ["compact", "Compact"],
];
const CLOCKS: Choice<"clock">[] = [
  ["locale", "As my language writes it"],
  ["12h", "12-hour"],
  ["24h", "24-hour"],
];
const MOTIONS: Choice<"motion">[] = [
  ["system", "As my system asks"],
  ["reduce", "Reduce"],
  ["full", "Full"],
];
/** An imported theme file larger than this is refused unread. */
const THEME_FILE_MAX_BYTES = 4096;

export class SettingsPanel {
  readonly button: HTMLButtonElement;
  readonly root: HTMLDialogElement;
  private readonly error: HTMLParagraphElement;
  private readonly accent: HTMLInputElement;
  private readonly form: HTMLFormElement;

  constructor(private readonly theme: Theme) {
    this.button = h(
      "button",
      {
        type: "button",
        class: "icon-button settings-button",
        "aria-label": "Appearance settings",
        title: "Appearance settings (Ctrl-,)",
        "aria-haspopup": "dialog",
      },
      "⚙",
    );
    this.button.addEventListener("click", () => this.open());
    this.error = h("p", { class: "form-error", role: "alert" });
    this.accent = h("input", { type: "color", id: "accent-colour", name: "accent" });
    this.accent.addEventListener("input", () => theme.update({ accent: this.accent.value }));
    const themeAccent = h("button", { type: "button", class: "secondary" }, "Theme's own");
    themeAccent.addEventListener("click", () => theme.update({ accent: null }));
    const exportButton = h("button", { type: "button", class: "secondary" }, "Export theme");
    exportButton.addEventListener("click", () => this.export());
    const file = h("input", {
      type: "file",
      accept: "application/json,.json",
      id: "theme-file",
      "aria-label": "Theme file to import",
      class: "visually-hidden",
      tabindex: -1,
    });
    file.addEventListener("change", () => {
      const chosen = file.files?.[0];
      file.value = "";
      if (chosen) void this.import(chosen);
    });
    const importButton = h("button", { type: "button", class: "secondary" }, "Import theme…");
    importButton.addEventListener("click", () => file.click());
    this.form = h(
      "form",
      { class: "settings-form" },
      this.group("Theme", "theme", THEMES),
      h(
        "fieldset",
        {},
        h("legend", {}, "Accent colour"),
        h(
          "div",
          { class: "accent-row" },
          h("label", { for: "accent-colour" }, "Colour"),
          this.accent,
          themeAccent,
        ),
      ),
      this.group("Text size", "textSize", SIZES),
      this.group("Density", "density", DENSITIES),
      this.group("Clock", "clock", CLOCKS),
      this.group("Motion", "motion", MOTIONS),
    );
    this.form.addEventListener("submit", (e) => e.preventDefault());
    this.form.addEventListener("change", (e) => {
      const input = e.target as HTMLInputElement;
      if (input.type !== "radio") return;
      theme.update({ [input.name]: input.value } as Partial<Settings>);
    });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog settings-panel", "aria-labelledby": "settings-title" },
      h("div", { class: "dialog-head" }, h("h2", { id: "settings-title" }, "Appearance"), close),
      this.error,
      this.form,
      h("div", { class: "actions" }, importButton, exportButton, file),
    );
    const stop = theme.onSettings(() => {
      // A panel left from an earlier login stops listening once its button is gone.
      if (this.button.isConnected) this.sync();
      else if (!this.root.open) stop();
    });
    const onKey = (e: KeyboardEvent) => {
      if (!this.button.isConnected) return document.removeEventListener("keydown", onKey);
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key === ",") {
        e.preventDefault();
        this.open();
      }
    };
    document.addEventListener("keydown", onKey);
  }

  open(): void {
    // One panel in the page: one left by an earlier login (the same ids) goes.
    for (const old of document.querySelectorAll(".settings-panel"))
      if (old !== this.root) old.remove();
    if (!this.root.isConnected) document.body.append(this.root);
    this.error.textContent = "";
    this.sync();
    if (!this.root.open) this.root.showModal();
  }

  /** Shows the settings in effect (they may have come from the server or another control). */
  private sync(): void {
    const s = this.theme.settings;
    for (const input of this.form.querySelectorAll<HTMLInputElement>("input[type=radio]")) {
      input.checked = s[input.name as keyof Settings] === input.value;
      if (input.value === "custom") input.disabled = s.custom === null;
    }
    this.accent.value = s.accent ?? this.theme.exportTheme().tokens.accent ?? "#4f46e5";
  }

  private group<K extends keyof Settings>(
    legend: string,
    name: K,
    choices: readonly Choice<K>[],
  ): HTMLFieldSetElement {
    return h(
      "fieldset",
      {},
      h("legend", {}, legend),
      h(
        "div",
        { class: "choices" },
        ...choices.map(([value, label]) =>
          h("label", {}, h("input", { type: "radio", name, value: String(value) }), label),
        ),
      ),
    );
  }

  private export(): void {
    const s = this.theme.settings;
    const name = s.theme === "custom" && s.custom ? s.custom.name : `Parley ${this.theme.current}`;
    const json = `${JSON.stringify(this.theme.exportTheme(name), null, 2)}\n`;
    const url = URL.createObjectURL(new Blob([json], { type: "application/json" }));
    const a = h("a", { href: url, download: "parley-theme.json" });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  private async import(file: File): Promise<void> {
    this.error.textContent = "";
    if (file.size > THEME_FILE_MAX_BYTES) {
      this.error.textContent = `A theme file is at most ${THEME_FILE_MAX_BYTES} bytes.`;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(await file.text());
    } catch {
      this.error.textContent = "That file is not JSON.";
      return;
    }
    const parsed = themeFileSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` (${issue.path.join(".")})` : "";
      this.error.textContent = `That is not a Parley theme file${where}: ${issue?.message ?? "invalid"}.`;
      return;
    }
    this.theme.update({ theme: "custom", custom: parsed.data, accent: null });
  }
}
