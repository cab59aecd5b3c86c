/**
 * Mutations of valid frames: structural ones on the member list (swap a value's type, drop a
 * field, duplicate a key, add a stranger) and textual ones on the JSON text (flip, insert and
 * delete characters, truncate).
 */
import { AWKWARD_CHARS, awkwardText, deepJson, NUMBER_TOKENS } from "./corpus.ts";
import { type Member, objectText, raw } from "./json-text.ts";
import type { Random } from "./random.ts";

const STRANGE_KEYS = ["__proto__", "constructor", "prototype", "toString", "", "type ", "ID", "x"];
const JSON_CHARS = '{}[]":,\\ 0123456789-+.eEtrufalsn'.split("");

/** A value of some other type than the one a field expects. */
export function otherValue(rng: Random): string {
  return rng.weighted([
    [4, () => rng.pick(NUMBER_TOKENS)],
    [2, () => raw(awkwardText(rng, rng.int(0, 8)))],
    [1, () => deepJson(rng, rng.int(1, 50))],
    [1, () => raw({ type: "send", room: 1 })],
    [1, () => raw(["send", 1])],
  ])();
}

export function mutateMembers(rng: Random, list: Member[]): Member[] {
  const out = list.map((m) => [...m] as Member);
  const at = () => rng.int(0, Math.max(0, out.length - 1));
  switch (rng.int(0, 6)) {
    case 0: {
      const i = at();
      if (out[i]) out[i] = [out[i][0], otherValue(rng)];
      break;
    }
    case 1:
      out.splice(at(), 1);
      break;
    case 2: {
      // A duplicate key: JSON.parse keeps the last one, whichever that is.
      const m = out[at()];
      if (m) out.splice(rng.int(0, out.length), 0, [m[0], otherValue(rng)]);
      break;
    }
    case 3:
      out.splice(rng.int(0, out.length), 0, [rng.pick(STRANGE_KEYS), otherValue(rng)]);
      break;
    case 4: {
      const i = out.findIndex(([k]) => k === "type");
      const variants = ['"SEND"', '"send "', '" ping"', '"Ping"', '"hasOwnProperty"', '"msg"'];
      if (i >= 0) out[i] = ["type", rng.pick(variants)];
      break;
    }
    case 5: {
      const i = at();
      if (out[i]) out[i] = [out[i][0], raw(awkwardText(rng, rng.int(1, 12)))];
      break;
    }
    default:
      for (let i = out.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [out[i], out[j]] = [out[j] as Member, out[i] as Member];
      }
  }
  return out;
}

export function mutateText(rng: Random, text: string): string {
  const pos = rng.int(0, text.length);
  const char = () => (rng.chance(0.7) ? rng.pick(JSON_CHARS) : rng.pick(AWKWARD_CHARS));
  switch (rng.int(0, 4)) {
    case 0:
      return text.slice(0, pos) + char() + text.slice(pos + 1);
    case 1:
      return text.slice(0, pos) + char() + text.slice(pos);
    case 2:
      return text.slice(0, pos) + text.slice(pos + rng.int(1, 4));
    case 3:
      return text.slice(0, pos);
    default:
      return text.slice(0, pos) + text.slice(pos, pos + rng.int(1, 20)) + text.slice(pos);
  }
}

/** One to four mutations, structural first, then textual. */
export function mutate(rng: Random, list: Member[]): string {
  let current = list;
  const structural = rng.int(0, 2);
  for (let i = 0; i < structural; i++) current = mutateMembers(rng, current);
  let text = objectText(current);
  const textual = structural === 0 ? rng.int(1, 3) : rng.int(0, 2);
  for (let i = 0; i < textual; i++) text = mutateText(rng, text);
  return text;
}
