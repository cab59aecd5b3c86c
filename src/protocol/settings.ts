/**
 * Appearance settings, defined once: the browser client keeps them per user on the server
 * (GET/PUT /api/settings) and the server validates them with these schemas before storing. A
 * theme file (exported and imported by the browser) is a named block of design-token values.
 */
import { z } from "zod";

/** The largest settings document the server stores, in bytes of its JSON. */
export const SETTINGS_MAX_BYTES = 4096;

export const THEME_CHOICES = ["system", "light", "dark", "high-contrast", "custom"] as const;
/** The built-in themes a custom theme is based on (and exported from). */
export const BASE_THEMES = ["light", "dark", "high-contrast"] as const;
/** Text sizes, smallest first: each scales every font size in the layout. */
export const TEXT_SIZES = ["small", "medium", "large", "larger", "largest"] as const;
export const TEXT_SCALE: Record<(typeof TEXT_SIZES)[number], number> = {
  small: 0.875,
  medium: 1,
  large: 1.125,
  larger: 1.25,
  largest: 1.5,
};

/**
 * The colour tokens a theme sets (CSS custom properties without the leading "--"): the one set
 * every theme in src/web/style.css gives values to.
 */
export const COLOUR_TOKENS = [
  "bg",
  "panel",
  "sidebar",
  "border",
  "text",
  "muted",
  "accent",
  "accent-text",
  "accent-soft",
  "bubble",
  "bubble-border",
  "own",
  "own-text",
  "mention",
  "mention-text",
  "danger",
  "ok",
  "ok-text",
  "away",
  "offline",
  "focus",
] as const;
export type ColourToken = (typeof COLOUR_TOKENS)[number];

const hexColour = z.string().regex(/^#[0-9a-fA-F]{6}$/, "colours are #rrggbb");

/** A theme as a file: its name, the built-in theme it starts from, and the tokens it changes. */
export const themeFileSchema = z.strictObject({
  parley: z.literal("theme"),
  version: z.literal(1),
  name: z.string().min(1).max(40),
  base: z.enum(BASE_THEMES),
  tokens: z.partialRecord(z.enum(COLOUR_TOKENS), hexColour),
});
export type ThemeFile = z.infer<typeof themeFileSchema>;

export const settingsSchema = z.strictObject({
  theme: z.enum(THEME_CHOICES),
  /** Replaces the theme's accent colour; null keeps the theme's own. */
  accent: hexColour.nullable(),
  textSize: z.enum(TEXT_SIZES),
  density: z.enum(["comfortable", "compact"]),
  /** "locale" writes times as the browser's locale does. */
  clock: z.enum(["locale", "12h", "24h"]),
  /** "system" follows prefers-reduced-motion. */
  motion: z.enum(["system", "reduce", "full"]),
  /** The imported theme, used when theme is "custom". */
  custom: themeFileSchema.nullable(),
});
export type Settings = z.infer<typeof settingsSchema>;
export type ThemeChoice = Settings["theme"];
export type TextSize = Settings["textSize"];

export const DEFAULT_SETTINGS: Settings = {
  theme: "system",
  accent: null,
  textSize: "medium",
  density: "comfortable",
  clock: "locale",
  motion: "system",
  custom: null,
};

/** Settings from any stored or received value: what parses, else the defaults, field by field. */
export function settingsFrom(value: unknown): Settings {
  const whole = settingsSchema.safeParse(value);
  if (whole.success) return whole.data;
  const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  if (value && typeof value === "object") {
    const shape = settingsSchema.shape;
    for (const [k, v] of Object.entries(value)) {
      const field = shape[k as keyof typeof shape];
      if (field?.safeParse(v).success) merged[k] = v;
    }
  }
  return merged as Settings;
}
