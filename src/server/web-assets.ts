/**
 * The browser client's files, served by our own fetch handler so that every response carries
 * the security headers (Bun's `routes` have no middleware). At startup Bun bundles the HTML
 * import on a private unix socket; the page and the assets it references are read once into
 * memory and that server stops. The page is small (about 200 KB), and this also works in a
 * `bun build --compile` binary, where the bundle is embedded.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Asset {
  body: ArrayBuffer | string;
  type: string;
  etag: string;
  cacheControl: string;
  /** A CSP of its own (the service worker's, which must fetch); else the default one. */
  csp?: string;
}

/** A file the bundle does not hold: the app's manifest, icon and service worker. */
export interface ExtraAsset {
  body: string;
  type: string;
  cacheControl?: string;
  csp?: string;
}

export class WebAssets {
  private constructor(private readonly files: ReadonlyMap<string, Asset>) {}

  static async load(
    bundle: Bun.HTMLBundle,
    extras: Readonly<Record<string, ExtraAsset>> = {},
  ): Promise<WebAssets> {
    const dir = mkdtempSync(join(tmpdir(), "parley-web-"));
    const unix = join(dir, "bundle.sock");
    const inner = Bun.serve({
      unix,
      routes: { "/": bundle },
      development: false,
      fetch: () => new Response(null, { status: 404 }),
    });
    const files = new Map<string, Asset>();
    try {
      const read = async (path: string): Promise<Asset | undefined> => {
        const res = await fetch(`http://localhost${path}`, { unix });
        if (!res.ok) return undefined;
        return {
          body: await res.arrayBuffer(),
          type: res.headers.get("content-type") ?? "application/octet-stream",
          etag: res.headers.get("etag") ?? "",
          cacheControl: res.headers.get("cache-control") ?? "no-cache",
        };
      };
      const page = await read("/");
      if (!page) throw new Error("the web client's bundle did not build");
      files.set("/", page);
      const html = new TextDecoder().decode(page.body as ArrayBuffer);
      for (const match of html.matchAll(/(?:src|href)="(\/[^"/][^"]*)"/g)) {
        const path = match[1] as string;
        const asset = await read(path);
        if (asset) files.set(path, asset);
      }
    } finally {
      await inner.stop(true);
      rmSync(dir, { recursive: true, force: true });
    }
    for (const [path, extra] of Object.entries(extras)) {
      files.set(path, {
        body: extra.body,
        type: extra.type,
        etag: `"${Bun.hash(extra.body).toString(36)}"`,
        cacheControl: extra.cacheControl ?? "no-cache",
        ...(extra.csp ? { csp: extra.csp } : {}),
      });
    }
    return new WebAssets(files);
  }

  /** The file at this path (GET or HEAD), a 304 for a matching ETag, or undefined. */
  serve(req: Request, path: string): Response | undefined {
    if (req.method !== "GET" && req.method !== "HEAD") return undefined;
    const file = this.files.get(path);
    if (!file) return undefined;
    const headers = {
      "Content-Type": file.type,
      "Cache-Control": file.cacheControl,
      ...(file.etag ? { ETag: file.etag } : {}),
      ...(file.csp ? { "Content-Security-Policy": file.csp } : {}),
    };
    if (file.etag && req.headers.get("if-none-match") === file.etag) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(req.method === "HEAD" ? null : file.body, { headers });
  }
}
