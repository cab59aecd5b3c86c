import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const WEB = join(ROOT, "src/web");

/** Relative imports of a module (type-only ones included: a circle of types is one too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^"';]*?from\s+"(\.[^"]+)"/g)) {
    out.push(resolve(dirname(file), m[1] as string));
  }
  return out;
}

function webModules(): string[] {
  return readdirSync(WEB)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(WEB, f));
}

/** One import circle among `files`, as a list of module names, or undefined. */
function findCircle(files: string[]): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (f: string): string[] | undefined => {
    if (state.get(f) === "done" || !f.startsWith(WEB)) return undefined;
    if (state.get(f) === "visiting") return [...path.slice(path.indexOf(f)), f];
    state.set(f, "visiting");
    path.push(f);
    for (const next of importsOf(f)) {
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(f, "done");
    return undefined;
  };
  for (const f of files) {
    const circle = visit(f);
    if (circle) return circle.map((p) => p.slice(ROOT.length + 1));
  }
  return undefined;
}

describe("the browser client's modules", () => {
  it("import one another without a circle", () => {
    expect(findCircle(webModules())).toBeUndefined();
  });

  it("stay under about 400 lines each", () => {
    const long = webModules()
      .map((f) => ({
        f: f.slice(ROOT.length + 1),
        lines: readFileSync(f, "utf8").split("\n").length,
      }))
      .filter((x) => x.lines > 420);
    expect(long).toEqual([]);
  });
});
