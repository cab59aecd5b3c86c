/**
 * The service worker, served at /sw.js: it keeps the app shell (the page, its bundled scripts
 * and styles, the manifest and icon) in the Cache API, so the page opens at once, and opens at
 * all while the server is down (then it shows its reconnect banner). It never touches API
 * requests, file downloads, the socket or anything that is not a GET of this origin: no
 * message, token or key is ever cached.
 *
 * The worker is one self-contained function, sent as its own source text; it may use nothing
 * from outside its body (no imports, no module variables).
 */

/** The little of the ServiceWorkerGlobalScope the worker uses (the DOM lib does not have it). */
interface ShellEvent {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchLike extends ShellEvent {
  request: Request;
  respondWith(r: Promise<Response>): void;
}
interface WorkerScope {
  location: { origin: string };
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: "install" | "activate", fn: (e: ShellEvent) => void): void;
  addEventListener(type: "fetch", fn: (e: FetchLike) => void): void;
}

function worker(scope: WorkerScope, version: string): void {
  const cacheName = `parley-shell-${version}`;
  /** Only the shell: same origin, GET, and none of the server's API, socket or file routes. */
  const isShell = (req: Request): boolean => {
    const url = new URL(req.url);
    if (req.method !== "GET" || url.origin !== scope.location.origin) return false;
    if (req.headers.has("authorization")) return false;
    const p = url.pathname;
    return !(p.startsWith("/api/") || p === "/ws" || p === "/healthz" || p === "/sw.js");
  };
  scope.addEventListener("install", (e) => {
    e.waitUntil(
      caches
        .open(cacheName)
        .then((cache) => cache.add("/"))
        .then(() => scope.skipWaiting()),
    );
  });
  scope.addEventListener("activate", (e) => {
    e.waitUntil(
      caches
        .keys()
        .then((keys) =>
          Promise.all(
            keys
              .filter((k) => k.startsWith("parley-shell-") && k !== cacheName)
              .map((k) => caches.delete(k)),
          ),
        )
        .then(() => scope.clients.claim()),
    );
  });
  scope.addEventListener("fetch", (e) => {
    const req = e.request;
    if (!isShell(req)) return;
    // Every page of the app is the one at "/": the cached copy answers at once, and a fresh
    // one replaces it for next time (stale while revalidating).
    const key = req.mode === "navigate" ? "/" : req;
    e.respondWith(
      caches.open(cacheName).then(async (cache) => {
        const cached = await cache.match(key);
        const fresh = fetch(req).then((res) => {
          if (res.ok && res.type === "basic") void cache.put(key, res.clone());
          return res;
        });
        if (!cached) return fresh;
        e.waitUntil(fresh.catch(() => undefined));
        return cached;
      }),
    );
  });
}

/** The worker's script for this server version (a new version starts a fresh cache). */
export function serviceWorkerSource(version: string): string {
  return `"use strict";\n(${worker.toString()})(self, ${JSON.stringify(version)});\n`;
}
