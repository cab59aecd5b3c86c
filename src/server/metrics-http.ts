/**
 * The metrics listener: GET /metrics on its own port of the --host address, so it is never
 * reachable where the chat port is unless an operator chooses so. It answers nothing else.
 */
import type { Metrics } from "./metrics.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./metrics-registry.ts";

export interface MetricsListener {
  url: string;
  stop(): Promise<void>;
}

export function serveMetrics(metrics: Metrics, host: string, port: number): MetricsListener {
  const server = Bun.serve({
    hostname: host,
    port,
    development: false,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path !== "/metrics") return new Response("Not found\n", { status: 404 });
      if (req.method !== "GET" && req.method !== "HEAD") {
        return new Response("Method not allowed\n", { status: 405, headers: { Allow: "GET" } });
      }
      return new Response(metrics.render(), {
        headers: { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Cache-Control": "no-store" },
      });
    },
  });
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${server.port}/metrics`,
    stop: () => server.stop(true),
  };
}
