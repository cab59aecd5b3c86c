/**
 * The shape of the source tree (docs/architecture.md): no import circle anywhere in src/, db/ and
 * the entry points, and no module over about 400 lines. Files already longer are listed with their
 * length today; they may shrink but not grow, and a new file must stay under the limit.
 */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { Glob } from "bun";
import { CLOSE } from "../src/protocol/index.ts";

const ROOT = resolve(import.meta.dir, "..");
const MAX_LINES = 400;

/**
 * Longer than MAX_LINES when this test was written: split them when you next work there.
 * Appearance settings (issue 21) added server.ts one option line. The event log (issue 12) added
 * the client Connection's change() and event delivery, the server's `event` command and the
 * chat's events and search members, and the browser's wiring of message-actions.ts: each to be
 * split out when next worked on. (The stores left this list when they were split by concept.)
 */
const KNOWN_LONG: Record<string, number> = {};

/** Every TypeScript module of the product, relative to the repository root. */
function sourceFiles(): string[] {
  const files = [...new Glob("{src,db}/**/*.ts").scanSync(ROOT), "server.ts", "client.ts"];
  return files.map((f) => f.split("\\").join("/")).sort();
}

function lineCount(file: string): number {
  const text = readFileSync(resolve(ROOT, file), "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/**
 * Relative imports of a module: static, re-exports, side-effect only and dynamic `import()`.
 * Type-only imports count too: a circle of types is still two modules that cannot be read apart.
 */
function importsOf(file: string): string[] {
  const text = readFileSync(resolve(ROOT, file), "utf8");
  const patterns = [
    /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*"(\.[^"]+)"/g,
    /(?:^|[\s;])import\s*"(\.[^"]+)"/g,
    /\bimport\(\s*"(\.[^"]+)"\s*\)/g,
  ];
  const out = new Set<string>();
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      out.add(
        relative(ROOT, resolve(ROOT, dirname(file), m[1] as string))
          .split("\\")
          .join("/"),
      );
    }
  }
  return [...out];
}

/** One import circle among `files`, as the list of modules around it, or undefined. */
function findCircle(
  files: readonly string[],
  edges: (file: string) => string[] = importsOf,
): string[] | undefined {
  const known = new Set(files);
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (f: string): string[] | undefined => {
    if (state.get(f) === "done" || !known.has(f)) return undefined;
    if (state.get(f) === "visiting") return [...path.slice(path.indexOf(f)), f];
    state.set(f, "visiting");
    path.push(f);
    for (const next of edges(f)) {
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(f, "done");
    return undefined;
  };
  for (const f of files) {
    const circle = visit(f);
    if (circle) return circle;
  }
  return undefined;
}

describe("the source tree", () => {
  it("has no import circle in src/, db/ or the entry points", () => {
    expect(findCircle(sourceFiles())).toBeUndefined();
  });

  it("finds a circle when one is added, counting type-only imports", () => {
    // The checker must be able to fail: add one edge back from the logger to a module importing
    // it only for a type, and the walk must come round.
    const [user, log] = ["src/server/chat.ts", "src/log/log.ts"];
    expect(importsOf(user)).toContain(log);
    const circle = findCircle(sourceFiles(), (f) =>
      f === log ? [...importsOf(log), user] : importsOf(f),
    );
    expect(circle).toBeDefined();
    expect(circle).toContain(user);
    expect(circle).toContain(log);
  });

  it("keeps new modules under 400 lines and lets the known long ones shrink but not grow", () => {
    const over = sourceFiles()
      .map((f) => ({ file: f, lines: lineCount(f) }))
      .filter(({ file, lines }) => lines > (KNOWN_LONG[file] ?? MAX_LINES));
    expect(over).toEqual([]);
  });

  it("lists only long files that still exist", () => {
    const files = new Set(sourceFiles());
    expect(Object.keys(KNOWN_LONG).filter((f) => !files.has(f))).toEqual([]);
  });

  it("sends every Parley close code (4000–4999) somewhere in the server", () => {
    const server = sourceFiles()
      .filter((f) => f.startsWith("src/server/"))
      .map((f) => readFileSync(resolve(ROOT, f), "utf8"))
      .join("\n");
    const unsent = Object.entries(CLOSE)
      .filter(([, code]) => code >= 4000)
      .filter(([name]) => !new RegExp(`\\.close\\(CLOSE\\.${name}\\b`).test(server))
      .map(([name]) => name);
    expect(unsent).toEqual([]);
  });
});
