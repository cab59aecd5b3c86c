/**
 * What every HTTP response carries and how odd requests are answered: protective headers on the
 * page, its assets and the API, and a coded 400 for an HTTP/1.0 request without a Host header.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** Sends raw bytes over TCP and resolves with everything the server wrote before closing. */
async function rawHttp(base: string, request: string): Promise<string> {
  const url = new URL(base);
  let text = "";
  const { promise, resolve } = Promise.withResolvers<string>();
  const socket = await Bun.connect({
    hostname: url.hostname,
    port: Number(url.port),
    socket: {
      data(_s, bytes) {
        text += new TextDecoder().decode(bytes);
      },
      close() {
        resolve(text);
      },
      error() {
        resolve(text);
      },
    },
  });
  socket.write(request);
  return Promise.race([promise, Bun.sleep(3000).then(() => text)]);
}

function expectProtected(res: Response): void {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
}

describe("HTTP guards", () => {
  it("answers an HTTP/1.0 request without a Host header with 400 INVALID, logging no error", async () => {
    const reply = await rawHttp(server.url, "GET /api/me HTTP/1.0\r\n\r\n");
    expect(reply).toStartWith("HTTP/1.1 400");
    expect(reply).toContain('"code":"INVALID"');
    expect(reply.toLowerCase()).toContain("x-content-type-options: nosniff");
    expect(server.logs.some((line) => line.includes('"level":"error"'))).toBe(false);
  });

  it("serves the page with a strict CSP: no inline script, no framing", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expectProtected(res);
    const csp = res.headers.get("content-security-policy") as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    // WebAssembly may be compiled (argon2id, docs/e2ee.md 11); JavaScript may never be eval'd.
    expect(csp).not.toContain("'unsafe-eval'");
    const html = await res.text();
    // The page itself holds no inline script the CSP would have to allow.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // And its assets carry the headers too, and are served with their own types.
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const path of assets) {
      const asset = await fetch(`${server.url}${path}`);
      expect(asset.status).toBe(200);
      expectProtected(asset);
      expect(asset.headers.get("content-type")).toMatch(/javascript|css/);
      const again = await fetch(`${server.url}${path}`, {
        headers: { "if-none-match": asset.headers.get("etag") as string },
      });
      expect(again.status).toBe(304);
    }
  });

  it("puts the headers on API answers and on errors", async () => {
    expectProtected(await fetch(`${server.url}/healthz`));
    expectProtected(await fetch(`${server.url}/api/me`));
    expectProtected(await fetch(`${server.url}/no/such/path`));
    expectProtected(await fetch(`${server.url}/ws`));
  });
});
