/**
 * Which browser origins may talk to this server. Browsers attach Origin to cross-site requests
 * and to every WebSocket upgrade; without this check any web page a user visits could open a
 * socket or post to the API from their browser. Non-browser clients send no Origin.
 */

export interface OriginPolicy {
  allows(origin: string | null | undefined, host: string | null | undefined): boolean;
}

export function createOriginPolicy(allowedOrigins: string): OriginPolicy {
  const allowed = new Set(
    allowedOrigins
      .split(",")
      .map((o) => o.trim().replace(/\/+$/, ""))
      .filter((o) => o.length > 0),
  );
  const any = allowed.has("*");
  return {
    allows(origin, host) {
      if (origin === null || origin === undefined) return true;
      if (any || allowed.has(origin)) return true;
      if (!host) return false;
      try {
        return new URL(origin).host === host;
      } catch {
        return false; // "null" (sandboxed frames, files) and anything unparsable
      }
    },
  };
}
