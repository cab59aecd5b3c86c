/**
 * Client ids (cids) for messages. crypto.randomUUID exists only in secure contexts (https,
 * localhost), and Parley may be served over plain http on a LAN; getRandomValues works
 * everywhere, so a cid is 128 random bits in hex.
 */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `w-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
