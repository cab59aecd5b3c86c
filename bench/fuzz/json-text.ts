/**
 * Frames as ordered lists of raw JSON members, so the generator can write what JSON.stringify
 * never will: duplicate keys, 1e400, -0, NaN, bare tokens, keys out of order.
 */

/** One member of a JSON object: the key, and its value already written as JSON text. */
export type Member = [key: string, raw: string];

export function raw(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

export function members(frame: Record<string, unknown>): Member[] {
  return Object.entries(frame)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, raw(v)]);
}

export function objectText(list: readonly Member[]): string {
  return `{${list.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
}
