/**
 * The protective headers every HTTP response carries (see docs/security.md): a strict CSP for
 * the page (no inline script, no framing), a deny-all CSP for everything else, nosniff, no
 * referrer, and HSTS whenever TLS is on.
 */

/**
 * The page: its own scripts, styles and connections only; data: and blob: images (previews).
 * 'wasm-unsafe-eval' lets the page compile WebAssembly (argon2id for a key backup passphrase,
 * docs/e2ee.md section 11); it allows no eval() of JavaScript and no other script source.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** JSON, scripts, styles and files: nothing in them may run or be framed. */
export const OTHER_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

export const HSTS = "max-age=31536000; includeSubDomains";

/** Adds the headers to a response (in place), keeping a stricter CSP a route set itself. */
export function withSecurityHeaders(res: Response, tls: boolean): Response {
  const h = res.headers;
  const html = (h.get("content-type") ?? "").startsWith("text/html");
  if (!h.has("content-security-policy")) {
    h.set("Content-Security-Policy", html ? PAGE_CSP : OTHER_CSP);
  }
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "no-referrer");
  h.set("X-Frame-Options", "DENY");
  if (tls) h.set("Strict-Transport-Security", HSTS);
  return res;
}
