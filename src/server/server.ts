/**
 * Wires a Parley node together: store, bus, hub, HTTP routes and the WebSocket endpoint at /ws.
 * Everything it uses can be injected (store, bus, clock, logger), so tests run the real thing.
 */

import { hostname } from "node:os";
import { dirname } from "node:path";
import { RedisClient } from "bun";
import { openStore } from "../../db/open-store.ts";
import type { Store } from "../../db/store.ts";
import pkg from "../../package.json" with { type: "json" };
import type { Bus } from "../bus/bus.ts";
import { LocalBus } from "../bus/bus-local.ts";
import { RedisBus } from "../bus/bus-redis.ts";
import { type IrcGateway, startIrcGateway } from "../irc/gateway.ts";
import { createLogger, errorFields, type Logger, logContext } from "../log/log.ts";
import {
  CLOSE,
  encodeFrame,
  HISTORY_PAGE_MAX,
  ParleyError,
  toErrorBody,
  type UserRef,
  type UserStatus,
} from "../protocol/index.ts";
import index from "../web/index.html";
import { ICON_SVG, MANIFEST } from "../web/manifest.ts";
import { serviceWorkerSource } from "../web/service-worker.ts";
import { Admin } from "./admin.ts";
import { Auth, hashPassword } from "./auth.ts";
import { Bots } from "./bots.ts";
import { Chat } from "./chat.ts";
import { CommitQueue } from "./commit-queue.ts";
import { type Config, filesDirOf, PORT_OFF } from "./config.ts";
import { createWebSocketHandler } from "./connection.ts";
import { Contacts } from "./contacts.ts";
import { Devices } from "./devices.ts";
import { FileQuota } from "./file-quota.ts";
import { Files } from "./files.ts";
import { Groups } from "./groups.ts";
import { bearer, createHttpApp } from "./http.ts";
import { type ConnectionData, Hub, type Socket } from "./hub.ts";
import { Invitations } from "./invitations.ts";
import { Metrics, meteredBus } from "./metrics.ts";
import { type MetricsListener, serveMetrics } from "./metrics-http.ts";
import { Moderation } from "./moderation.ts";
import { createOriginPolicy } from "./origin.ts";
import { Presence } from "./presence.ts";
import { RedisPresence } from "./presence-redis.ts";
import { PresenceVisibility } from "./presence-visibility.ts";
import { TokenBucket } from "./rate-limit.ts";
import { Registration, type RegistrationMode } from "./registration.ts";
import { Reports } from "./reports.ts";
import { loggablePath, requestIds } from "./request-id.ts";
import { Revocation } from "./revocation.ts";
import { withSecurityHeaders } from "./security-headers.ts";
import { SessionControls } from "./session-controls.ts";
import { TypingThrottle } from "./typing.ts";
import { WebAssets } from "./web-assets.ts";

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
  metrics: Metrics;
  /** Where GET /metrics is served, when --metrics-port is set. */
  metricsUrl: string | undefined;
  /** The IRC gateway's URLs (irc://, ircs://), when it runs. */
  ircUrls: string[];
  stop(): Promise<void>;
}

/** How often sessions, throttles and expired connections are swept. */
const SWEEP_MS = 60_000;
/** Sweeps between two sweeps of unshared and partial files (10 minutes). */
const FILE_SWEEP_EVERY = 10;
/** Invalid frames a socket may send in a burst before it is closed with 1008; one back per 5 s. */
const STRIKES = 10;

function ircUrlsOf(host: string, irc: IrcGateway): string[] {
  const h = host.includes(":") ? `[${host}]` : host;
  const urls: string[] = [];
  if (irc.port !== undefined) urls.push(`irc://${h}:${irc.port}`);
  if (irc.tlsPort !== undefined) urls.push(`ircs://${h}:${irc.tlsPort}`);
  return urls;
}

function jsonError(err: ParleyError): Response {
  return Response.json(toErrorBody(err), { status: err.status });
}

export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? createLogger(config.logLevel);
  const store = deps.store ?? (await openStore(config));
  // Reads presence, created below, only when scraped.
  const metrics = new Metrics({
    connections: () => presence.connections,
    usersOnline: () => presence.usersOnline,
  });
  const bus = meteredBus(
    deps.bus ??
      (config.redisUrl
        ? new RedisBus({ url: config.redisUrl, prefix: config.redisPrefix, node: hostname(), log })
        : new LocalBus()),
    metrics,
    () => performance.now(),
  );
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
    for (let i = 0; i < userIds.length; i += 1000) {
      for (const { user, rooms } of await store.usersWithRooms(userIds.slice(i, i + 1000))) {
        announce(user, "offline", rooms);
      }
    }
  }
  const presence = new Presence<Socket>({
    announce: (user, status, rooms) => announce(user, status, rooms),
    ...(shared ? { shared } : {}),
    onError: (err) => log.warn("presence.shared_failed", errorFields(err)),
    offlineGraceMs: deps.offlineGraceMs ?? config.presenceGrace * 1000,
  });
  if (shared) shared.snapshot = () => presence.snapshot();
  const hub = new Hub(
    presence,
    { perUser: config.maxConnectionsPerUser, perAddress: config.maxConnectionsPerAddress },
    { store, log, metrics },
  );
  const origins = createOriginPolicy(config.allowedOrigins);
  const tls = config.tlsCert !== "";
  const queue = new CommitQueue({ store, log, metrics });
  const registration = new Registration(store, config.registration as RegistrationMode);
  const auth = new Auth({
    store,
    log,
    now,
    sessionDays: config.sessionDays,
    loginBurst: config.loginBurst,
    signupBurst: config.signupBurst,
    passwordCost: config.passwordCost,
    metrics,
    botSession: (token) => bots.authenticate(token),
    registration,
  });
  const visibility = new PresenceVisibility(store);
  const contacts = new Contacts(store, (ids) => presence.statuses(ids), now, visibility);
  const devices = new Devices(store, now);
  const typing = new TypingThrottle();
  const chat = new Chat({
    store,
    bus,
    hub,
    queue,
    contacts,
    visibility,
    maxRoomsPerUser: config.maxRoomsPerUser,
    maxRoomsJoined: config.maxRoomsJoined,
    log,
    now,
    metrics,
  });
  const revocation = new Revocation({
    store,
    bus,
    log,
    now,
    sockets: () => presence.everyone(),
    leaveRoom: (userId, room, reason) =>
      hub.removeMember(userId, room, encodeFrame({ type: "removed", room, reason })),
  });
  const bots = new Bots({
    store,
    chat,
    hub,
    log,
    now,
    passwordCost: config.passwordCost,
    metrics,
    endSessions: (tokenHashes) => revocation.revokeSessions(tokenHashes),
  });
  announce = (user, status, rooms) => {
    chat
      .announcePresence(user, status, rooms)
      .catch((err) => log.warn("presence.announce_failed", errorFields(err)));
  };
  const quota = new FileQuota({
    store,
    now,
    bytesPerDay: config.uploadBytesPerDay,
    bytesTotal: config.uploadBytesTotal,
    uploadsPerMinute: config.uploadsPerMinute,
    minFreeDiskBytes: config.minFreeDiskBytes,
    disks: [filesDirOf(config), dirname(config.db)],
  });
  const files = new Files({
    store,
    dir: filesDirOf(config),
    maxBytes: config.maxUploadBytes,
    log,
    now,
    quota,
    unsharedFileHours: config.unsharedFileHours,
  });
  /**
   * Closes the sockets of revoked sessions: logout, revocation and password change all come
   * here, and revocation.ts closes them on this node at once and on every other node by a signal.
   */
  const endSessions = (_userId: number, tokenHashes: readonly string[]) => {
    revocation.revokeSessions(tokenHashes);
  };
  const sessions = new SessionControls({ store, auth, log, now, endSessions });
  const moderation = new Moderation({
    store,
    log,
    now,
    publish: (room, frame) => chat.publishEphemeral(room, frame),
    roomLog: chat.roomLog,
    remove: (userId, room, why) => revocation.removeFromRoom(userId, room, why),
  });
  const admin = new Admin({
    store,
    registration,
    now,
    hashPassword: (password) => hashPassword(password, config.passwordCost),
    endUser: (userId) => revocation.revokeUser(userId),
    deleteRoom: (actor, room, reason) => moderation.deleteRoom(actor, room, reason),
  });
  const reports = new Reports({
    store,
    now,
    requireMember: (user, room) => chat.requireMember(user, room),
    requireAdmin: (user) => admin.require(user),
  });
  const invitations = new Invitations({
    store,
    now,
    joined: async (user, room) => chat.announceJoin(user, room),
    tell: (userId, frame) => revocation.tell(userId, encodeFrame(frame)),
  });
  const groups = new Groups({ store, chat, hub, now, revocation });
  const app = createHttpApp({
    sessions,
    endSessions,
    files,
    auth,
    chat,
    hub,
    log,
    origins,
    maxBodyBytes: config.maxBodyBytes,
    metrics,
    bots,
    communities: { store, chat, moderation, invitations, reports },
    admin,
    store,
    httpRate: config.httpRate,
    httpBurst: config.httpBurst,
    now,
  });
  const handler = createWebSocketHandler({
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
    ...{ metrics, moderation, invitations, groups },
  });
  // Every line logged while handling a client's frame carries its connection id.
  const receive = handler.message as NonNullable<typeof handler.message>;
  const websocket: typeof handler = {
    ...handler,
    message: (ws, data) => logContext.run({ conn: ws.data.id }, () => receive(ws, data)),
  };
  const web = await WebAssets.load(index, {
    // The installable app: its manifest, its icon, and the worker that caches the shell.
    "/manifest.webmanifest": { body: JSON.stringify(MANIFEST), type: "application/manifest+json" },
    "/icon.svg": { body: ICON_SVG, type: "image/svg+xml" },
    "/sw.js": {
      body: serviceWorkerSource(VERSION),
      type: "text/javascript; charset=utf-8",
      // The worker fetches the app shell from this origin, and nothing else.
      csp: "default-src 'none'; connect-src 'self'",
    },
  });
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
        return withSecurityHeaders(bad, tls);
      }
      const url = new URL(req.url);
      const res =
        url.pathname === "/ws"
          ? await upgrade(req, server, url)
          : (web.serve(req, url.pathname) ??
            (await app.fetch(req, { ip: server.requestIP(req)?.address ?? "unknown" })));
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
      return res && withSecurityHeaders(res, tls);
    });
  }

  async function upgrade(req: Request, server: Bun.Server<ConnectionData>, url: URL) {
    if (!origins.allows(req.headers.get("origin"), req.headers.get("host"))) {
      return jsonError(new ParleyError("FORBIDDEN_ORIGIN"));
    }
    // A header (the terminal, tools) or a single-use ticket (browsers cannot set headers); the
    // long-lived token is never accepted in the URL, where proxies would log it.
    const header = bearer(req.headers.get("authorization"));
    const session = header
      ? await auth.authenticate(header)
      : await sessions.redeem(url.searchParams.get("ticket"));
    if (!session) return jsonError(new ParleyError("UNAUTHENTICATED"));
    sessions
      .seen(session, req.headers.get("user-agent") || undefined)
      .catch((err) => log.warn("session.touch_failed", errorFields(err)));
    const userId = session.user.id;
    const address = server.requestIP(req)?.address ?? "unknown";
    const claim = hub.reserve(userId, address);
    if (claim !== "ok") {
      log.warn("ws.refused", { user: userId, address, cap: claim });
      metrics.rateLimited.inc({ reason: "connections" });
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
    fetch: answer,
    error(err) {
      log.error("http.unhandled", errorFields(err));
      return withSecurityHeaders(jsonError(new ParleyError("INTERNAL")), tls);
    },
    // The web app is bundled by Bun from its HTML import (embedded by bun build --compile) and
    // served from memory by WebAssets, never in development mode: no reload client for users.
    development: false,
    websocket,
  });
  hub.bind(server, bus);
  await bus.start(hub.deliver, {
    reconnected: () => {
      metrics.busReconnects.inc();
      log.warn("bus.reconnected");
      hub.resync().catch((err) => log.error("bus.resync_failed", errorFields(err)));
    },
    signal: (message) => revocation.receive(message),
  });

  // Once at start too: a restart is when a crash's partial files are left to clean.
  files.sweep().catch((err) => log.error("files.sweep_failed", errorFields(err)));
  let sweeps = 0;
  const sweep = setInterval(() => {
    hub.closeExpired(now());
    typing.prune(now());
    bots.sweep();
    quota.prune();
    auth.sweep().catch((err) => log.error("sweep.failed", errorFields(err)));
    // Unshared and partial files every FILE_SWEEP_EVERY sweeps: their deadline is in hours.
    if (++sweeps % FILE_SWEEP_EVERY === 0) {
      files.sweep().catch((err) => log.error("files.sweep_failed", errorFields(err)));
    }
  }, SWEEP_MS);
  sweep.unref();
  metrics.start();
  const metricsListener: MetricsListener | undefined =
    config.metricsPort >= 0 ? serveMetrics(metrics, config.host, config.metricsPort) : undefined;

  const url = `${tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  const irc = startIrc();
  const ircUrls = irc ? ircUrlsOf(config.host, irc) : [];
  log.info("listening", {
    url,
    store: config.databaseUrl ? "postgres" : config.db,
    bus: config.redisUrl ? "redis" : "local",
    version: VERSION,
    ...(metricsListener ? { metrics: metricsListener.url } : {}),
  });

  /** The IRC gateway, when a port is configured: the same chat, hub and auth as /ws. */
  function startIrc(): IrcGateway | undefined {
    if (config.ircPort === PORT_OFF && config.ircTlsPort === PORT_OFF) return undefined;
    return startIrcGateway(
      {
        store,
        auth,
        chat,
        hub,
        typing,
        log,
        now,
        limits: {
          rate: config.rate,
          burst: config.burst,
          heartbeat: config.heartbeat,
          sendBufferBytes: config.sendBufferBytes,
          replayMessages: Math.min(config.replayMax, HISTORY_PAGE_MAX),
          perAddress: config.maxConnectionsPerAddress,
        },
        serverName: "parley",
        version: VERSION,
        startedAt: now(),
      },
      {
        host: config.host,
        port: config.ircPort === PORT_OFF ? undefined : config.ircPort,
        tlsPort: config.ircTlsPort === PORT_OFF ? undefined : config.ircTlsPort,
        tls: tls ? { cert: config.tlsCert, key: config.tlsKey } : undefined,
      },
    );
  }
  if (ircUrls.length > 0) log.info("irc.listening", { urls: ircUrls });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: server.port as number,
    store,
    metrics,
    metricsUrl: metricsListener?.url,
    ircUrls,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweep);
        revocation.close();
        metrics.stop();
        log.info("stopping");
        // Stop accepting: no new connection or upgrade from here on; open sockets stay up.
        // (Not awaited: it settles only once every connection has closed, below.)
        void server.stop(false);
        // Commit what was accepted, so those senders still get their acks; later sends get BUSY
        // and are retried by their clients, with the same cid, after the reconnect.
        await queue.close();
        // 1001 "going away": clients reconnect (to another node, or to this one restarted).
        hub.closeAll(CLOSE.GOING_AWAY, "server shutting down");
        await irc?.stop();
        await shared?.close();
        await server.stop(true);
        await bus.close();
        await store.close();
        await metricsListener?.stop();
        log.info("stopped");
      })();
      return stopping;
    },
  };
}
