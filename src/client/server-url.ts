/**
 * Server addresses as users type them: http(s):// or ws(s):// (the same server), one or a
 * comma-separated list of nodes of one deployment. Browser-safe: no node: imports.
 */

export type ServerListResult = { ok: true; servers: string[] } | { ok: false; message: string };

/** The base URL (scheme, host, port) a client talks to; ws(s):// becomes http(s)://. */
export function serverBase(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  const scheme = { "http:": "http:", "https:": "https:", "ws:": "http:", "wss:": "https:" }[
    url.protocol
  ];
  if (!scheme || url.host === "") return undefined;
  return `${scheme}//${url.host}`;
}

/** Parses each value of --server (comma-separated allowed) into one list without repeats. */
export function parseServerList(values: readonly string[]): ServerListResult {
  const servers: string[] = [];
  for (const raw of values.flatMap((v) => v.split(","))) {
    if (raw.trim() === "") continue;
    const base = serverBase(raw);
    if (!base) {
      return {
        ok: false,
        message: `--server takes http://, https://, ws:// or wss:// URLs, not "${raw.trim()}"`,
      };
    }
    if (!servers.includes(base)) servers.push(base);
  }
  if (servers.length === 0) return { ok: false, message: "--server needs a value" };
  return { ok: true, servers };
}
