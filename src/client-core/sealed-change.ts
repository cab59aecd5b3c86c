/**
 * What a DM's sealed change says (docs/e2ee.md, "Changes to messages"): an edit's new text or a
 * reaction's emoji and on/off, with the seq of the message it changes, as the text inside the
 * event's envelope. The target is sealed too, so a server that moves the event to another
 * message (or shows an edit's envelope on another message) is caught: the client applies a
 * change only to the seq it names. A delete carries nothing and is not sealed.
 */
import { isEmoji, isValidMessage } from "../protocol/index.ts";

export type SealedChange =
  | { kind: "edit"; target: number; body: string }
  | { kind: "react"; target: number; emoji: string; on: boolean };

/** Marks the text as a change, so no DM text is ever taken for one by accident. */
const MARK = "parley.change/1";

/** The text sealed into a change's envelope. */
export function sealedChangeText(change: SealedChange): string {
  return JSON.stringify({ [MARK]: change });
}

/** The change a sealed text holds, or undefined for anything else (or a malformed one). */
export function parseSealedChange(text: string): SealedChange | undefined {
  if (!text.startsWith(`{"${MARK}"`)) return undefined;
  let raw: unknown;
  try {
    raw = (JSON.parse(text) as Record<string, unknown>)[MARK];
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const c = raw as Record<string, unknown>;
  const target = c.target;
  if (typeof target !== "number" || !Number.isSafeInteger(target) || target < 1) return undefined;
  if (c.kind === "edit" && typeof c.body === "string" && isValidMessage(c.body)) {
    return { kind: "edit", target, body: c.body };
  }
  if (
    c.kind === "react" &&
    typeof c.emoji === "string" &&
    isEmoji(c.emoji) &&
    typeof c.on === "boolean"
  ) {
    return { kind: "react", target, emoji: c.emoji, on: c.on };
  }
  return undefined;
}
