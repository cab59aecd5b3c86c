/**
 * Parley content as IRC lines. A message becomes one PRIVMSG per line of its text, each cut to
 * fit the 512-byte line limit (at a space when there is one, never inside a UTF-8 character),
 * as ergo splits long messages for clients without multiline. A body starting with "/me " is a
 * CTCP ACTION, both ways.
 */
import { LINE_MAX_BYTES } from "./message.ts";

const encoder = new TextEncoder();
const ACTION_PREFIX = "/me ";

export function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** The text as pieces of at most `max` UTF-8 bytes, cut at spaces when possible. */
export function splitText(text: string, max: number): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.trim() === "") continue;
    let rest = line;
    while (byteLength(rest) > max) {
      let cut = 0;
      let bytes = 0;
      for (const ch of rest) {
        const b = byteLength(ch);
        if (bytes + b > max) break;
        bytes += b;
        cut += ch.length;
      }
      // A space at index cut - 1 at the latest: the piece keeps it and must still fit.
      const space = rest.lastIndexOf(" ", cut - 1);
      // Never an empty piece (that would loop): at least one character goes.
      const at =
        space > cut / 2
          ? space + 1
          : Math.max(cut, (rest.codePointAt(0) as number) > 0xffff ? 2 : 1);
      out.push(rest.slice(0, at));
      rest = rest.slice(at);
    }
    if (rest !== "") out.push(rest);
  }
  return out;
}

/** The trailing parameters of a message's PRIVMSGs, each short enough to fit after `prefix`. */
export function privmsgTexts(body: string, prefix: string): string[] {
  const action = body.startsWith(ACTION_PREFIX);
  const text = action ? body.slice(ACTION_PREFIX.length) : body;
  // prefix is ":source PRIVMSG #chan :"; CTCP framing adds "\x01ACTION " and "\x01".
  const room = LINE_MAX_BYTES - 2 - byteLength(prefix) - (action ? 9 : 0);
  const pieces = splitText(text, Math.max(32, room));
  return action ? pieces.map((p) => `\u0001ACTION ${p}\u0001`) : pieces;
}

/**
 * The Parley body of an IRC message text: a CTCP ACTION becomes "/me ..."; any other CTCP
 * (VERSION, PING...) is not chat and gives undefined.
 */
export function bodyOf(text: string): string | undefined {
  if (!text.startsWith("\u0001")) return text;
  const inner = text.endsWith("\u0001") ? text.slice(1, -1) : text.slice(1);
  if (inner.startsWith("ACTION ")) return `${ACTION_PREFIX}${inner.slice(7)}`;
  return undefined;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** msgid of a stored message: its room and seq, which is all a history lookup needs. */
export function msgidOf(room: number, seq: number): string {
  return `${room}-${seq}`;
}

/** The seq a msgid names in this room, or undefined. */
export function seqOfMsgid(msgid: string, room: number): number | undefined {
  const m = /^(\d+)-(\d+)$/.exec(msgid);
  if (!m || Number(m[1]) !== room) return undefined;
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
