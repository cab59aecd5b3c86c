/**
 * Terminal themes: which colours and attributes each role is drawn in, the symbols, and how
 * times read. Four are built in (default, light-terminal, high-contrast, no-color); a theme file
 * (JSON, docs/client.md) extends one of them. This module parses and resolves; client.ts reads
 * the file and the environment, style.ts turns a theme into escape codes.
 */
import { z } from "zod";

/** What is drawn in a colour of its own. */
export const ROLES = ["strong", "faint", "ok", "warn", "error", "accent"] as const;
export type Role = (typeof ROLES)[number];

export const SYMBOLS = [
  "online",
  "connecting",
  "offline",
  "info",
  "ok",
  "warn",
  "error",
  "own",
  "pending",
] as const;
export type SymbolName = (typeof SYMBOLS)[number];

/** A role's look: SGR parameter lists, each with the codes that undo it (for nesting). */
export interface Look {
  on: string;
  off: string;
}

export interface TerminalTheme {
  name: string;
  roles: Record<Role, Look>;
  /** Nick colours: a name always gets the same one (by a hash of the name). */
  names: Look[];
  symbols: Record<SymbolName, string>;
  /** strftime-like: %H %I %M %S %p %Y %m %d %%. */
  timeFormat: string;
}

export const BUILT_IN_THEMES = ["default", "light-terminal", "high-contrast", "no-color"] as const;
export type BuiltInTheme = (typeof BUILT_IN_THEMES)[number];

const BASIC = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
const ATTRIBUTES: Record<string, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  italic: [3, 23],
  underline: [4, 24],
  reverse: [7, 27],
};

/**
 * A look from its spec: words joined by spaces, each an attribute (bold, dim, italic,
 * underline, reverse), a colour (red, bright-blue…, 0 to 255, #rrggbb), or "none".
 */
export function parseLook(spec: string | number): Look | string {
  const on: (string | number)[] = [];
  const off = new Set<number>();
  for (const word of String(spec).trim().toLowerCase().split(/\s+/)) {
    if (word === "none" || word === "") continue;
    const attribute = ATTRIBUTES[word];
    const bright = word.startsWith("bright-");
    const basic = BASIC.indexOf(bright ? word.slice(7) : word);
    const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(word);
    if (attribute) {
      on.push(attribute[0]);
      off.add(attribute[1]);
    } else if (basic >= 0) {
      on.push((bright ? 90 : 30) + basic);
      off.add(39);
    } else if (/^\d{1,3}$/.test(word) && Number(word) <= 255) {
      on.push(`38;5;${Number(word)}`);
      off.add(39);
    } else if (hex) {
      on.push(
        `38;2;${hex
          .slice(1)
          .map((h) => Number.parseInt(h, 16))
          .join(";")}`,
      );
      off.add(39);
    } else {
      return `"${word}" is not a colour or attribute`;
    }
  }
  return { on: on.join(";"), off: [...off].join(";") };
}

function look(spec: string | number): Look {
  const l = parseLook(spec);
  if (typeof l === "string") throw new Error(l);
  return l;
}

const DEFAULT_SYMBOLS: Record<SymbolName, string> = {
  online: "●",
  connecting: "◌",
  offline: "✕",
  info: "·",
  ok: "✓",
  warn: "!",
  error: "✕",
  own: "›",
  pending: "◷",
};

interface ThemeSpec {
  roles: Record<Role, string | number>;
  names: (string | number)[];
  symbols?: Partial<Record<SymbolName, string>>;
  timeFormat?: string;
}

/**
 * The default nick colours: xterm-256 colours of middle luminance, each at least 3.6:1 against
 * both black and white (tests/client/theme.test.ts measures it), so names read on either.
 */
export const READABLE_ON_BOTH = [160, 166, 130, 100, 64, 28, 30, 31, 27, 63, 98, 164];

const SPECS: Record<BuiltInTheme, ThemeSpec> = {
  default: {
    roles: {
      strong: "bold",
      faint: "dim",
      ok: "green",
      warn: "yellow",
      error: "red",
      accent: "cyan",
    },
    names: READABLE_ON_BOTH,
  },
  "light-terminal": {
    // Dark inks for a light background: at least 4.5:1 on white.
    roles: { strong: "bold", faint: 242, ok: 22, warn: 130, error: 124, accent: 25 },
    names: [124, 130, 94, 58, 22, 23, 24, 25, 54, 90, 89, 88],
  },
  "high-contrast": {
    // The terminal's own foreground, never dimmed; meaning carried by weight and reverse video.
    roles: {
      strong: "bold",
      faint: "none",
      ok: "bold",
      warn: "bold reverse",
      error: "bold reverse",
      accent: "bold underline",
    },
    names: ["bold"],
  },
  "no-color": {
    roles: {
      strong: "none",
      faint: "none",
      ok: "none",
      warn: "none",
      error: "none",
      accent: "none",
    },
    names: ["none"],
  },
};

function build(name: string, spec: ThemeSpec): TerminalTheme {
  const roles = Object.fromEntries(ROLES.map((r) => [r, look(spec.roles[r])])) as Record<
    Role,
    Look
  >;
  return {
    name,
    roles,
    names: spec.names.map(look),
    symbols: { ...DEFAULT_SYMBOLS, ...spec.symbols },
    timeFormat: spec.timeFormat ?? "%H:%M",
  };
}

export function builtInTheme(name: BuiltInTheme): TerminalTheme {
  return build(name, SPECS[name]);
}

export function isBuiltIn(name: string): name is BuiltInTheme {
  return (BUILT_IN_THEMES as readonly string[]).includes(name);
}

/** Printable text only: a theme file must not smuggle escape codes onto the screen. */
const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cf}]+$/u, "control characters are not allowed");

const lookSpec = z.union([z.string().max(100), z.number().int().min(0).max(255)]);

/** A theme file: every field optional, each on top of the theme it extends. */
export const themeFileSchema = z.strictObject({
  extends: z.enum(BUILT_IN_THEMES).optional(),
  colors: z
    .strictObject({
      ...Object.fromEntries(ROLES.map((r) => [r, lookSpec.optional()])),
      names: z.array(lookSpec).min(1).max(64).optional(),
    })
    .optional(),
  symbols: z
    .strictObject(Object.fromEntries(SYMBOLS.map((s) => [s, printable(4).optional()])))
    .optional(),
  time: z
    .strictObject({
      clock: z.enum(["12h", "24h"]).optional(),
      format: printable(40).optional(),
    })
    .optional(),
});

/** A theme from a theme file's text, or why it is not one. */
export function parseThemeFile(text: string, name: string): TerminalTheme | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "it is not JSON";
  }
  const parsed = themeFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return `${where}${issue?.message ?? "invalid"}`;
  }
  const file = parsed.data;
  const base = SPECS[file.extends ?? "default"];
  const colors = (file.colors ?? {}) as Partial<Record<Role, string | number>> & {
    names?: (string | number)[];
  };
  const spec: ThemeSpec = {
    roles: { ...base.roles },
    names: colors.names ?? base.names,
    symbols: { ...base.symbols, ...(file.symbols as Partial<Record<SymbolName, string>>) },
    timeFormat:
      file.time?.format ?? (file.time?.clock === "12h" ? "%I:%M %p" : (base.timeFormat ?? "%H:%M")),
  };
  for (const r of ROLES) if (colors[r] !== undefined) spec.roles[r] = colors[r];
  for (const s of [...Object.values(spec.roles), ...spec.names]) {
    const l = parseLook(s);
    if (typeof l === "string") return l;
  }
  return build(name, spec);
}

/** The theme with every escape code taken out: for NO_COLOR and --no-color. */
export function withoutColour(theme: TerminalTheme): TerminalTheme {
  const plain = { on: "", off: "" };
  return {
    ...theme,
    roles: Object.fromEntries(ROLES.map((r) => [r, plain])) as Record<Role, Look>,
    names: [plain],
  };
}

/** True when the theme draws no escape codes at all. */
export function isPlain(theme: TerminalTheme): boolean {
  return [...Object.values(theme.roles), ...theme.names].every((l) => l.on === "");
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A local time in the theme's format. */
export function formatTime(ts: number, format: string): string {
  const d = new Date(ts);
  const h = d.getHours();
  return format.replace(/%([HIMSpYmd%])/g, (_, k: string) => {
    switch (k) {
      case "H":
        return pad(h);
      case "I":
        return pad(h % 12 === 0 ? 12 : h % 12);
      case "M":
        return pad(d.getMinutes());
      case "S":
        return pad(d.getSeconds());
      case "p":
        return h < 12 ? "AM" : "PM";
      case "Y":
        return String(d.getFullYear());
      case "m":
        return pad(d.getMonth() + 1);
      case "d":
        return pad(d.getDate());
      default:
        return "%";
    }
  });
}

/** What decides the theme, as client.ts found it. */
export interface ThemeSources {
  /** --no-color. */
  noColorFlag: boolean;
  /** --theme: a built-in name, or a file's path with its text. */
  flag?: { name: string; text?: string | undefined } | undefined;
  /** theme.json in the config directory, when there is one. */
  configFile?: { path: string; text: string } | undefined;
  /** NO_COLOR is set and not empty. */
  noColorEnv: boolean;
}

/**
 * The theme to use, or why none can be. As the NO_COLOR convention asks, the command line
 * wins over the config file, and both over NO_COLOR: --no-color, then --theme, then the
 * config directory's theme.json, then NO_COLOR, then the default theme.
 */
export function chooseTheme(s: ThemeSources): TerminalTheme | string {
  let theme: TerminalTheme | string | undefined;
  if (s.flag) {
    if (s.flag.text === undefined) {
      theme = isBuiltIn(s.flag.name)
        ? builtInTheme(s.flag.name)
        : `--theme ${s.flag.name}: no such theme (built in: ${BUILT_IN_THEMES.join(", ")}, or a file)`;
    } else {
      const parsed = parseThemeFile(s.flag.text, s.flag.name);
      theme = typeof parsed === "string" ? `theme file ${s.flag.name}: ${parsed}` : parsed;
    }
  } else if (s.configFile) {
    const parsed = parseThemeFile(s.configFile.text, s.configFile.path);
    theme = typeof parsed === "string" ? `theme file ${s.configFile.path}: ${parsed}` : parsed;
  } else {
    theme = builtInTheme(s.noColorEnv ? "no-color" : "default");
  }
  if (typeof theme !== "string" && s.noColorFlag) return withoutColour(theme);
  return theme;
}
