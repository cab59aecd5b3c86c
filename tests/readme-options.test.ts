/**
 * The README's configuration table and `parley-server --help` list the same options, with the
 * same environment variables and defaults. The defaults are written in config.ts (DEFAULTS, and
 * each Config field's @default), the help is generated from DEFAULTS (config-parser.ts), and this test keeps the
 * README and the @default comments from drifting.
 */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULTS } from "../src/server/config.ts";

const ROOT = resolve(import.meta.dir, "..");

interface OptionDoc {
  env: string;
  default: string;
}

/** flag → env and default, from the table under "## Configuration". */
function readmeOptions(readme: string): Map<string, OptionDoc> {
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? "";
  const out = new Map<string, OptionDoc>();
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `--")) continue;
    const [flags, envs, defaults] = line
      .split("|")
      .slice(1, 4)
      .map((cell) => cell.trim());
    const names = [...(flags as string).matchAll(/`(--[a-z-]+)`/g)].map((m) => m[1] as string);
    const vars = [...(envs as string).matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] as string);
    // "20, 60" for two flags in one row; one default ("none") may stand for both.
    const split = names.length > 1 ? (defaults as string).split(/,\s*/) : [defaults as string];
    const values = split.length === 1 ? names.map(() => split[0] as string) : split;
    expect({ line, vars: vars.length, values: values.length }).toEqual({
      line,
      vars: names.length,
      values: names.length,
    });
    names.forEach((name, i) => {
      out.set(name, { env: vars[i] as string, default: values[i] as string });
    });
  }
  return out;
}

/** flag → env and default, from the help text's "[ENV, default X]" ends. */
function helpOptions(help: string): Map<string, OptionDoc> {
  const out = new Map<string, OptionDoc>();
  for (const m of help.matchAll(/^ {2}(--[a-z-]+) VALUE .*\[([A-Z_]+), default (.*)\]$/gm)) {
    out.set(m[1] as string, { env: m[2] as string, default: m[3] as string });
  }
  return out;
}

const sorted = (map: Map<string, OptionDoc>) => [...map].sort(([a], [b]) => a.localeCompare(b));

describe("the documented configuration", () => {
  it("in the README lists every option of parley-server --help with the same variable and default", async () => {
    const proc = Bun.spawn([process.execPath, "server.ts", "--help"], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    const help = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    const fromHelp = helpOptions(help);
    expect(fromHelp.size).toBeGreaterThan(30);
    const fromReadme = readmeOptions(readFileSync(resolve(ROOT, "README.md"), "utf8"));
    expect(sorted(fromReadme)).toEqual(sorted(fromHelp));
  });

  it("agrees with the @default of every field of Config in src/server/config.ts", () => {
    const source = readFileSync(resolve(ROOT, "src/server/config.ts"), "utf8");
    const block = source.split("export interface Config {")[1]?.split("\n}\n")[0] ?? "";
    const documented = [
      ...block.matchAll(/@default ("[^"]*"|\S+?)(?:\s[^*]*)?\*\/\s*\n\s*(\w+):/g),
    ].map((m): [string, string] => [m[2] as string, (m[1] as string).replace(/^"(.*)"$/, "$1")]);
    expect(documented.map(([key]) => key).sort()).toEqual(Object.keys(DEFAULTS).sort());
    const actual = documented.map(([key]): [string, string] => [
      key,
      String(DEFAULTS[key as keyof typeof DEFAULTS]),
    ]);
    expect(documented).toEqual(actual);
  });

  it("notices a missing option and a wrong default", () => {
    const help = [
      "  --port VALUE      TCP port [PARLEY_PORT, default 3000]",
      "  --host VALUE      address [PARLEY_HOST, default 127.0.0.1]",
    ].join("\n");
    const readme = [
      "## Configuration",
      "| Flag | Environment | Default | Meaning |",
      "| `--port` | `PARLEY_PORT` | 3001 | TCP port |",
    ].join("\n");
    expect(sorted(readmeOptions(readme))).not.toEqual(sorted(helpOptions(help)));
    expect(readmeOptions(readme).get("--port")?.default).toBe("3001");
    expect(helpOptions(help).get("--host")).toEqual({ env: "PARLEY_HOST", default: "127.0.0.1" });
  });
});
