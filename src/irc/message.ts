/**
 * One IRC line as a value: IRCv3 tags, an optional source, a command and its parameters. Parsing
 * and serializing are each other's inverse, with the tag-value escaping of the message-tags spec.
 */

export interface IrcMessage {
  tags: Map<string, string>;
  source: string | undefined;
  /** Upper-cased. */
  command: string;
  params: string[];
}

/** Bytes of a line without its tags, CR LF included (RFC 1459). */
export const LINE_MAX_BYTES = 512;
/** Bytes of a line's tag section, leading "@" and trailing space included (message-tags). */
export const TAGS_MAX_BYTES = 8191;
/** Most parameters kept; the RFC allows 15. */
const PARAMS_MAX = 15;

const UNESCAPE: Record<string, string> = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };
const ESCAPE: Record<string, string> = {
  ";": "\\:",
  " ": "\\s",
  "\\": "\\\\",
  "\r": "\\r",
  "\n": "\\n",
};

export function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => (c === "" ? "" : (UNESCAPE[c] ?? c)));
}

export function escapeTag(value: string): string {
  return value.replace(/[; \\\r\n]/g, (c) => ESCAPE[c] as string);
}

/** A parsed line, or undefined for one with no command (blank, or only tags and a source). */
export function parseLine(line: string): IrcMessage | undefined {
  let rest = line;
  const tags = new Map<string, string>();
  if (rest.startsWith("@")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    for (const part of rest.slice(1, end).split(";")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const key = eq < 0 ? part : part.slice(0, eq);
      tags.set(key, eq < 0 ? "" : unescapeTag(part.slice(eq + 1)));
    }
    rest = rest.slice(end + 1).trimStart();
  }
  let source: string | undefined;
  if (rest.startsWith(":")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    source = rest.slice(1, end);
    rest = rest.slice(end + 1).trimStart();
  }
  const params: string[] = [];
  while (rest.length > 0 && params.length < PARAMS_MAX) {
    if (rest.startsWith(":")) {
      params.push(rest.slice(1));
      rest = "";
      break;
    }
    const end = rest.indexOf(" ");
    if (end < 0) {
      params.push(rest);
      rest = "";
      break;
    }
    params.push(rest.slice(0, end));
    rest = rest.slice(end + 1).trimStart();
  }
  const command = params.shift();
  if (command === undefined || command === "") return undefined;
  return { tags, source, command: command.toUpperCase(), params };
}

/** The line's tag section ("@a=b;c "), or "" with no tags. */
export function tagSection(tags: ReadonlyMap<string, string>): string {
  if (tags.size === 0) return "";
  const parts: string[] = [];
  for (const [k, v] of tags) parts.push(v === "" ? k : `${k}=${escapeTag(v)}`);
  return `@${parts.join(";")} `;
}

/**
 * The line without CR LF. The last parameter gets a ":" when it needs one (empty, has a space,
 * starts with ":"); parameters before it never contain spaces by construction.
 */
export function serialize(m: {
  tags?: ReadonlyMap<string, string> | undefined;
  source?: string | undefined;
  command: string;
  params?: readonly string[];
}): string {
  const params = m.params ?? [];
  let out = m.tags ? tagSection(m.tags) : "";
  if (m.source) out += `:${m.source} `;
  out += m.command;
  params.forEach((p, i) => {
    const last = i === params.length - 1;
    out += last && (p === "" || p.includes(" ") || p.startsWith(":")) ? ` :${p}` : ` ${p}`;
  });
  return out;
}
