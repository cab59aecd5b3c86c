/**
 * Wires a Parley node together: store, bus, hub, HTTP routes and the WebSocket endpoint at /ws.
 * Everything it uses can be injected (store, bus, clock, logger), so tests run the real thing.
 */

import { hostname } from "node:os";
import { RedisClient } from "bun";
import type { Store } from "../../db/store.ts";
import { PostgresStore } from "../../db/store-postgres.ts";
import { SqliteStore } from "../../db/store-sqlite.ts";
import pkg from "../../package.json" with { type: "json" };
import type { Bus } from "../bus/bus.ts";
import { LocalBus } from "../bus/bus-local.ts";
import { RedisBus } from "../bus/bus-redis.ts";
import {
  CLOSE,
  ParleyError,
  toErrorBody,
  type UserRef,
  type UserStatus,
} from "../protocol/index.ts";
import index from "../web/index.html";
import { ICON_SVG, MANIFEST } from "../web/manifest.ts";
import { serviceWorkerSource } from "../web/service-worker.ts";
import { Auth } from "./auth.ts";
import { Chat } from "./chat.ts";
import { CommitQueue } from "./commit-queue.ts";
import { type Config, filesDirOf } from "./config.ts";
import { createWebSocketHandler } from "./connection.ts";
import { Contacts } from "./contacts.ts";
import { Devices } from "./devices.ts";
import { Files } from "./files.ts";
import { bearer, createHttpApp } from "./http.ts";
import { type ConnectionData, Hub, type Socket } from "./hub.ts";
import { createLogger, errorFields, type Logger } from "./log.ts";
import { createOriginPolicy } from "./origin.ts";
import { Presence } from "./presence.ts";
import { RedisPresence } from "./presence-redis.ts";
import { TokenBucket } from "./rate-limit.ts";
import { TypingThrottle } from "./typing.ts";

export const VERSION: string = pkg.version;

export interface ServerDeps {
  config: Config;
  store?: Store;
  bus?: Bus;
  log?: Logger;
  now?: () => number;
  /** How long a user with no connection still shows as online. @default 5000 */
  offlineGraceMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  stop(): Promise<void>;
}

/** How often sessions, throttles and expired connections are swept. */
const SWEEP_MS = 60_000;
/** Invalid frames a socket may send in a burst before it is closed with 1008; one back per 5 s. */
const STRIKES = 10;

/** The embedded SQLite file, or PostgreSQL when a URL is configured; nothing else knows which. */
async function openStore(config: Config): Promise<Store> {
  if (!config.databaseUrl) return new SqliteStore(config.db);
  return PostgresStore.open({ url: config.databaseUrl });
}

function jsonError(err: ParleyError): Response {
  return Response.json(toErrorBody(err), { status: err.status });
}

export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? createLogger(config.logLevel);
  const store = deps.store ?? (await openStore(config));
  const bus =
    deps.bus ??
    (config.redisUrl
      ? new RedisBus({ url: config.redisUrl, prefix: config.redisPrefix, node: hostname(), log })
      : new LocalBus());
  // Announcements go through the chat, created below; presence changes only after sockets open.
  let announce: (user: UserRef, status: UserStatus, rooms: readonly number[]) => void = () => {};
  const shared = config.redisUrl
    ? await RedisPresence.start({
        redis: new RedisClient(config.redisUrl, {
          enableOfflineQueue: false,
          connectionTimeout: 5000,
        }),
        prefix: config.redisPrefix,
        node: `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
        ttlMs: config.presenceTtl * 1000,
        onLost: (users) => {
          announceLost(users).catch((err) => log.error("presence.lost_failed", errorFields(err)));
        },
        onError: (err) => log.warn("presence.shared_failed", errorFields(err)),
      })
    : undefined;
  /** A dead node's users, offline everywhere now: tell their rooms, since that node cannot. */
  async function announceLost(userIds: number[]): Promise<void> {
    for (const id of userIds) {
      const [user, rooms] = await Promise.all([store.findUserById(id), store.roomsOf(id)]);
      if (user) announce(user, "offline", rooms);
    }
  }
  const presence = new Presence<Socket>({
    announce: (user, status, rooms) => announce(user, status, rooms),
    ...(shared ? { shared } : {}),
    onError: (err) => log.warn("presence.shared_failed", errorFields(err)),
    offlineGraceMs: deps.offlineGraceMs ?? config.presenceGrace * 1000,
  });
  const hub = new Hub(
    presence,
    { perUser: config.maxConnectionsPerUser, perAddress: config.maxConnectionsPerAddress },
    { store, log },
  );
  const origins = createOriginPolicy(config.allowedOrigins);
  const tls = config.tlsCert !== "";
  const queue = new CommitQueue({ store, log });
  const auth = new Auth({
    store,
    log,
    now,
    sessionDays: config.sessionDays,
    loginBurst: config.loginBurst,
    signupBurst: config.signupBurst,
  });
  const contacts = new Contacts(store, (ids) => presence.statuses(ids), now);
  const devices = new Devices(store, now);
  const typing = new TypingThrottle();
  const chat = new Chat({ store, bus, hub, queue, contacts, log, now });
  announce = (user, status, rooms) => {
    for (const room of rooms) chat.publishEphemeral(room, { type: "presence", room, user, status });
  };
  const files = new Files({
    store,
    dir: filesDirOf(config),
    maxBytes: config.maxUploadBytes,
    log,
    now,
  });
  const app = createHttpApp({
    files,
    auth,
    chat,
    hub,
    log,
    origins,
    hsts: tls,
    maxBodyBytes: config.maxBodyBytes,
  });
  const websocket = createWebSocketHandler({
    config,
    store,
    chat,
    hub,
    contacts,
    devices,
    typing,
    log,
    now,
    version: VERSION,
  });
  let nextConnection = 1;

  async function upgrade(req: Request, server: Bun.Server<ConnectionData>, url: URL) {
    if (!origins.allows(req.headers.get("origin"), req.headers.get("host"))) {
      return jsonError(new ParleyError("FORBIDDEN_ORIGIN"));
    }
    const token = bearer(req.headers.get("authorization")) ?? url.searchParams.get("token");
    const session = await auth.authenticate(token);
    if (!session) return jsonError(new ParleyError("UNAUTHENTICATED"));
    const userId = session.user.id;
    const address = server.requestIP(req)?.address ?? "unknown";
    const claim = hub.reserve(userId, address);
    if (claim !== "ok") {
      log.warn("ws.refused", { user: userId, address, cap: claim });
      return jsonError(new ParleyError("TOO_MANY_CONNECTIONS"));
    }
    try {
      const memberships = await store.roomsOf(userId);
      const t = now();
      const data: ConnectionData = {
        id: nextConnection++,
        session,
        user: session.user,
        away: false,
        address,
        rooms: new Set(),
        catchUp: new Map(),
        frames: new TokenBucket(config.burst, config.rate, t),
        strikes: new TokenBucket(STRIKES, 1 / 5, t),
        state: "open",
        drainWaiters: [],
        memberships,
        sendTail: undefined,
      };
      if (server.upgrade(req, { data })) return undefined;
    } catch (err) {
      hub.release(userId, address);
      throw err;
    }
    hub.release(userId, address);
    return jsonError(new ParleyError("INVALID", "Expected a WebSocket upgrade."));
  }

  const server = Bun.serve<ConnectionData>({
    port: config.port,
    hostname: config.host,
    // Every route enforces its own limit while streaming (hono's bodyLimit for JSON, Files for
    // uploads), with a coded error; a cap here would answer first with Bun's bare 413. Bodies
    // are streamed, not buffered, so no cap costs no memory.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Bun itself cuts an HTTP request whose headers never finish after about 12 s (measured;
    // the idleTimeout option does not shorten that), which bounds slow and half-open upgrades.
    ...(tls ? { tls: { cert: Bun.file(config.tlsCert), key: Bun.file(config.tlsKey) } } : {}),
    async fetch(req, server) {
      const url = new URL(req.url);
      if (url.pathname === "/ws") return upgrade(req, server, url);
      return app.fetch(req, { ip: server.requestIP(req)?.address ?? "unknown" });
    },
    error(err) {
      log.error("http.unhandled", errorFields(err));
      return jsonError(new ParleyError("INTERNAL"));
    },
    // The web app, bundled by Bun from its HTML import (and embedded by bun build --compile).
    // Never development mode: no reload client or source maps for users.
    routes: {
      "/": { GET: index },
      // The installable app: its manifest, its icon, and the worker that caches the shell.
      "/manifest.webmanifest": {
        GET: () =>
          new Response(JSON.stringify(MANIFEST), {
            headers: { "content-type": "application/manifest+json" },
          }),
      },
      "/icon.svg": {
        GET: () => new Response(ICON_SVG, { headers: { "content-type": "image/svg+xml" } }),
      },
      "/sw.js": {
        GET: () =>
          new Response(serviceWorkerSource(VERSION), {
            headers: {
              "content-type": "text/javascript; charset=utf-8",
              // Checked on every load, so a new version's worker is found at once.
              "cache-control": "no-cache",
            },
          }),
      },
    },
    development: false,
    websocket,
  });
  hub.bind(server);
  await bus.start(hub.deliver, {
    reconnected: () => {
      log.warn("bus.reconnected");
      hub.resync().catch((err) => log.error("bus.resync_failed", errorFields(err)));
    },
  });

  const sweep = setInterval(() => {
    hub.closeExpired(now());
    typing.prune(now());
    auth.sweep().catch((err) => log.error("sweep.failed", errorFields(err)));
  }, SWEEP_MS);
  sweep.unref();

  const url = `${tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  log.info("listening", {
    url,
    store: config.databaseUrl ? "postgres" : config.db,
    bus: config.redisUrl ? "redis" : "local",
    version: VERSION,
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: server.port as number,
    store,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweep);
        // Commit what was accepted first, so those senders still get their acks.
        await queue.close();
        hub.closeAll(CLOSE.GOING_AWAY, "server shutting down");
        await shared?.close();
        await server.stop(true);
        await bus.close();
        await store.close();
        log.info("stopped");
      })();
      return stopping;
    },
  };
}
