/**
 * Terminal colours and symbols from the theme in use (theme.ts). One place for every escape
 * code: a theme with none (no-color, NO_COLOR, --no-color) writes plain text.
 */
import {
  builtInTheme,
  formatTime,
  type Look,
  type Role,
  type SymbolName,
  type TerminalTheme,
} from "./theme.ts";

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  italic(s: string): string;
  strike(s: string): string;
  underline(s: string): string;
  /** A stable colour per user name, so a speaker is recognisable at a glance. */
  name(s: string): string;
  /** A local time as the theme writes it ("14:05", "2:05 PM", a format string's). */
  time(ts: number): string;
  symbols: Record<SymbolName, string>;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}

/** An inner look's reset (what paint writes at its end); the outer look is drawn again after it. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what it matches.
const RESET = /\x1b\[(?:0|22|23|24|27|39)(?:;(?:0|22|23|24|27|39))*m/g;

const paint = (l: Look) => (s: string) =>
  l.on ? `\x1b[${l.on}m${s.replace(RESET, (r) => `${r}\x1b[${l.on}m`)}\x1b[${l.off}m` : s;

/** The style of a theme; `true` and `false` mean the default theme and no colour. */
export function createStyle(theme: TerminalTheme | boolean): Style {
  const t = typeof theme === "boolean" ? builtInTheme(theme ? "default" : "no-color") : theme;
  const role = (r: Role) => paint(t.roles[r]);
  const names = t.names.map(paint);
  return {
    // The method names are the roles' colours in the default theme, kept for the callers.
    bold: role("strong"),
    dim: role("faint"),
    green: role("ok"),
    yellow: role("warn"),
    red: role("error"),
    cyan: role("accent"),
    // Markdown's emphasis (markdown-ansi.ts): plain attributes, none when the theme has no colour.
    italic: paint(t.roles.strong.on ? { on: "3", off: "23" } : { on: "", off: "" }),
    strike: paint(t.roles.strong.on ? { on: "9", off: "29" } : { on: "", off: "" }),
    underline: paint(t.roles.strong.on ? { on: "4", off: "24" } : { on: "", off: "" }),
    name: (s) => (names[hash(s.toLowerCase()) % names.length] as (s: string) => string)(s),
    time: (ts) => formatTime(ts, t.timeFormat),
    symbols: t.symbols,
  };
}
