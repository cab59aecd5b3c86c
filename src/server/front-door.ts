/**
 * Where every request to a node arrives: `/ws` is upgraded to a WebSocket here (origin, session,
 * connection caps), the web app's files are served from memory, and everything else goes to the
 * HTTP API (hono). Every line logged while answering carries the request id.
 */
import type { Hono } from "hono";
import type { Store } from "../../db/store.ts";
import { errorFields, type Logger, logContext } from "../log/log.ts";
import { ParleyError, toErrorBody } from "../protocol/index.ts";
import type { Auth } from "./auth.ts";
import { type ConnectionData, connectionData } from "./connection-data.ts";
import { bearer, type HttpEnv } from "./http.ts";
import type { Hub } from "./hub.ts";
import type { Metrics } from "./metrics.ts";
import type { OriginPolicy } from "./origin.ts";
import { loggablePath, requestIds } from "./request-id.ts";
import { withSecurityHeaders } from "./security-headers.ts";
import type { SessionControls } from "./session-controls.ts";
import type { WebAssets } from "./web-assets.ts";

export interface FrontDoorOptions {
  app: Hono<HttpEnv>;
  web: WebAssets;
  auth: Auth;
  sessions: SessionControls;
  hub: Hub;
  store: Store;
  origins: OriginPolicy;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  tls: boolean;
  /** Frames per second and in a burst, per connection. */
  rate: number;
  burst: number;
}

export function jsonError(err: ParleyError): Response {
  return Response.json(toErrorBody(err), { status: err.status });
}

/** Bun.serve's `fetch`: answers a request, or upgrades it (then resolves to undefined). */
export function frontDoor(o: FrontDoorOptions) {
  const { log, hub } = o;
  let nextConnection = 1;
  const requestId = requestIds();

  /** Every line logged while answering carries the request id; one access line at the end. */
  function answer(req: Request, server: Bun.Server<ConnectionData>) {
    const started = performance.now();
    const id = requestId(req);
    return logContext.run({ req: id }, async () => {
      // An HTTP/1.0 request without a Host header has no URL Bun can build: a 400, not a 500.
      if (!URL.canParse(req.url)) {
        const bad = jsonError(new ParleyError("INVALID", "The request needs a Host header."));
        bad.headers.set("X-Request-Id", id);
        return withSecurityHeaders(bad, o.tls);
      }
      const url = new URL(req.url);
      const res =
        url.pathname === "/ws"
          ? await upgrade(req, server, url)
          : (o.web.serve(req, url.pathname) ??
            (await o.app.fetch(req, { ip: server.requestIP(req)?.address ?? "unknown" })));
      log.info("http.request", {
        method: req.method,
        path: loggablePath(url.pathname),
        status: res ? res.status : 101,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
      try {
        res?.headers.set("X-Request-Id", id);
      } catch {
        // An immutable response (none today): it goes without the header, never fails.
      }
      return res && withSecurityHeaders(res, o.tls);
    });
  }

  async function upgrade(req: Request, server: Bun.Server<ConnectionData>, url: URL) {
    if (!o.origins.allows(req.headers.get("origin"), req.headers.get("host"))) {
      return jsonError(new ParleyError("FORBIDDEN_ORIGIN"));
    }
    // A header (the terminal, tools) or a single-use ticket (browsers cannot set headers); the
    // long-lived token is never accepted in the URL, where proxies would log it.
    const header = bearer(req.headers.get("authorization"));
    const session = header
      ? await o.auth.authenticate(header)
      : await o.sessions.redeem(url.searchParams.get("ticket"));
    if (!session) return jsonError(new ParleyError("UNAUTHENTICATED"));
    o.sessions
      .seen(session, req.headers.get("user-agent") || undefined)
      .catch((err) => log.warn("session.touch_failed", errorFields(err)));
    const userId = session.user.id;
    const address = server.requestIP(req)?.address ?? "unknown";
    const claim = hub.reserve(userId, address);
    if (claim !== "ok") {
      log.warn("ws.refused", { user: userId, address, cap: claim });
      o.metrics.rateLimited.inc({ reason: "connections" });
      return jsonError(new ParleyError("TOO_MANY_CONNECTIONS"));
    }
    try {
      const data = connectionData({
        id: nextConnection++,
        session,
        address,
        memberships: await o.store.roomsOf(userId),
        rate: o.rate,
        burst: o.burst,
        now: o.now(),
      });
      if (server.upgrade(req, { data })) return undefined;
    } catch (err) {
      hub.release(userId, address);
      throw err;
    }
    hub.release(userId, address);
    return jsonError(new ParleyError("INVALID", "Expected a WebSocket upgrade."));
  }

  return answer;
}
