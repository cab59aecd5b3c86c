/**
 * The commonest client frame, a `send` of text ({type, id, room, cid, body} and nothing else),
 * checked by hand. A server decodes one per message, and zod's generic walk costs about four
 * times the JSON.parse before it. Accepts only what the `send` schema accepts and returns what
 * it would return; anything else (an envelope, a file, a reply, an unknown key, a bad value)
 * returns undefined and goes through the schema, which words the error.
 * tests/plain-send.test.ts holds this to the schema on a corpus of edge cases.
 */
import type { ClientFrameOf } from "./frame.ts";
import { CLIENT_ID_MAX } from "./rules.ts";

/** The schema's bound on a body in UTF-16 units (frame.ts `body`); code points are checked later. */
const BODY_UNITS_MAX = 16_000;
const REQUEST_ID_MAX = 64;

export function plainSend(frame: Record<string, unknown>): ClientFrameOf<"send"> | undefined {
  const { id, room, cid, body } = frame;
  if (frame.type !== "send") return undefined;
  if (typeof id !== "string" || id.length < 1 || id.length > REQUEST_ID_MAX) return undefined;
  if (typeof room !== "number" || !Number.isSafeInteger(room) || room < 1) return undefined;
  if (typeof cid !== "string" || cid.length < 1 || cid.length > CLIENT_ID_MAX) return undefined;
  if (!cid.isWellFormed() || cid.includes("\u0000")) return undefined;
  if (typeof body !== "string" || body.length > BODY_UNITS_MAX) return undefined;
  // Exactly these five keys: with any other the schema decides (it strips unknown ones).
  let keys = 0;
  for (const _ in frame) keys++;
  if (keys !== 5) return undefined;
  return { type: "send", id, room, cid, body };
}
