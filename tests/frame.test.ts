/**
 * The frame tables of src/protocol: every frame is filed under its own `type` (the codec finds a
 * schema by the type a frame names, so a frame filed under another key could never decode), and
 * docs/protocol.md, the prose of these tables, names every frame of both sides.
 */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { z } from "zod";
import { clientFrames, serverFrames } from "../src/protocol/index.ts";

const PROTOCOL = readFileSync(resolve(import.meta.dir, "../docs/protocol.md"), "utf8");

/** The literal of a frame schema's `type` field. */
function typeOf(schema: z.ZodType): unknown {
  const shape = (schema as unknown as { shape: Record<string, { value?: unknown }> }).shape;
  return shape.type?.value;
}

/** A syntax line (`{"type":"join",…}`) or a table cell (`` `invite_create {…}` ``) names it. */
function documented(type: string): boolean {
  return PROTOCOL.includes(`"type":"${type}"`) || PROTOCOL.includes(`\`${type} {`);
}

describe.each([
  ["client → server", clientFrames],
  ["server → client", serverFrames],
] as const)("the %s frames", (_side, table) => {
  it("are each filed under the type they carry", () => {
    const misfiled = Object.entries(table)
      .filter(([key, schema]) => typeOf(schema) !== key)
      .map(([key]) => key);
    expect(misfiled).toEqual([]);
  });

  it("are each named in docs/protocol.md", () => {
    expect(Object.keys(table).filter((type) => !documented(type))).toEqual([]);
  });
});

describe("the documentation check", () => {
  it("notices a frame the protocol does not name", () => {
    expect(documented("join")).toBe(true);
    expect(documented("invite_create")).toBe(true);
    expect(documented("no_such_frame")).toBe(false);
  });
});
