/** Terminal themes without a terminal: looks, nick colours' contrast, files, precedence, times. */
import { describe, expect, it } from "bun:test";
import { createStyle } from "../../src/client/style.ts";
import {
  BUILT_IN_THEMES,
  builtInTheme,
  chooseTheme,
  formatTime,
  isPlain,
  parseLook,
  parseThemeFile,
  READABLE_ON_BOTH,
} from "../../src/client/theme.ts";

/** xterm's 256-colour palette: the 6×6×6 cube and the grey ramp, as RGB. */
function xterm(n: number): [number, number, number] {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return [v, v, v];
  }
  const levels = [0, 95, 135, 175, 215, 255];
  const i = n - 16;
  return [levels[Math.floor(i / 36)] ?? 0, levels[Math.floor(i / 6) % 6] ?? 0, levels[i % 6] ?? 0];
}

function luminance([r, g, b]: [number, number, number]): number {
  const ch = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
}

const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

describe("terminal themes", () => {
  it("reads attributes, names, 256-colour numbers and #rrggbb, refusing anything else", () => {
    expect(parseLook("bold bright-cyan")).toEqual({ on: "1;96", off: "22;39" });
    expect(parseLook(208)).toEqual({ on: "38;5;208", off: "39" });
    expect(parseLook("#0B7A75 underline")).toEqual({ on: "38;2;11;122;117;4", off: "39;24" });
    expect(parseLook("none")).toEqual({ on: "", off: "" });
    expect(parseLook("sparkly")).toBe('"sparkly" is not a colour or attribute');
    expect(parseLook(256)).toBe('"256" is not a colour or attribute');
  });

  it("gives nicks colours with at least 3.6:1 contrast on both a black and a white background", () => {
    for (const n of READABLE_ON_BOTH) {
      const l = luminance(xterm(n));
      expect({ n, black: contrast(l, 0) >= 3.6, white: contrast(l, 1) >= 3.6 }).toEqual({
        n,
        black: true,
        white: true,
      });
    }
  });

  it("gives the light-terminal theme's nicks at least 4.5:1 on white", () => {
    const t = builtInTheme("light-terminal");
    for (const look of t.names) {
      const n = Number(look.on.split(";")[2]);
      expect(contrast(luminance(xterm(n)), 1)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("colours a name the same way every time, whatever its case", () => {
    const style = createStyle(builtInTheme("default"));
    expect(style.name("Alice")).toBe(style.name("Alice"));
    expect(style.name("alice").replace("alice", "x")).toBe(
      style.name("ALICE").replace("ALICE", "x"),
    );
    const colours = new Set(
      ["ann", "bob", "cy", "dee", "eve", "fay"].map((n) => style.name(n).slice(0, 12)),
    );
    expect(colours.size).toBeGreaterThan(1);
  });

  it("draws an outer colour again after an inner one ends (a mention line with a name in it)", () => {
    const style = createStyle(builtInTheme("light-terminal"));
    const line = style.yellow(`${style.dim("12:00")} bob: hi`);
    expect(line).toBe("\x1b[38;5;130m\x1b[38;5;242m12:00\x1b[39m\x1b[38;5;130m bob: hi\x1b[39m");
  });

  it("writes no escape code at all in the no-color theme, and some in every other", () => {
    for (const name of BUILT_IN_THEMES) {
      const style = createStyle(builtInTheme(name));
      const out = [
        style.bold("a"),
        style.dim("b"),
        style.red("c"),
        style.cyan("d"),
        style.name("e"),
      ];
      expect(out.join("").includes("\x1b")).toBe(name !== "no-color");
    }
  });

  it("lets the command line win over theme.json, and theme.json over NO_COLOR", () => {
    const file = { path: "theme.json", text: '{"extends":"high-contrast"}' };
    const pick = (o: Partial<Parameters<typeof chooseTheme>[0]>) => {
      const t = chooseTheme({ noColorFlag: false, noColorEnv: false, ...o });
      if (typeof t === "string") throw new Error(t);
      return t;
    };
    expect(pick({}).name).toBe("default");
    expect(isPlain(pick({ noColorEnv: true }))).toBe(true);
    expect(pick({ noColorEnv: true, configFile: file }).name).toBe("theme.json");
    expect(isPlain(pick({ noColorEnv: true, configFile: file }))).toBe(false);
    expect(pick({ configFile: file, flag: { name: "light-terminal" } }).name).toBe(
      "light-terminal",
    );
    expect(isPlain(pick({ flag: { name: "light-terminal" }, noColorFlag: true }))).toBe(true);
    expect(
      chooseTheme({ noColorFlag: false, noColorEnv: false, flag: { name: "neon" } }),
    ).toContain("no such theme");
  });

  it("refuses a theme file with an unknown field, a bad colour or a symbol too long", () => {
    expect(parseThemeFile("{", "t")).toBe("it is not JSON");
    expect(parseThemeFile('{"colours":{}}', "t")).toContain("colours");
    expect(parseThemeFile('{"colors":{"accent":"sparkly"}}', "t")).toContain("sparkly");
    expect(parseThemeFile('{"symbols":{"own":"›››››"}}', "t")).toContain("symbols.own");
    expect(parseThemeFile('{"symbols":{"own":"\\u001b[2J"}}', "t")).toContain("control characters");
    expect(parseThemeFile('{"time":{"format":"%H\\u0007"}}', "t")).toContain("control characters");
  });

  it("writes times in 24 or 12 hours, or by a format string", () => {
    const ts = new Date(2026, 10, 29, 21, 5, 9).getTime();
    expect(formatTime(ts, "%H:%M")).toBe("21:05");
    expect(formatTime(ts, "%I:%M %p")).toBe("09:05 PM");
    expect(formatTime(ts, "%Y-%m-%d %H:%M:%S %%")).toBe("2026-11-29 21:05:09 %");
    const twelve = parseThemeFile('{"time":{"clock":"12h"}}', "t");
    expect(typeof twelve !== "string" && createStyle(twelve).time(ts)).toBe("09:05 PM");
  });
});
